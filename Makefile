# Makefile
#	sage: SAGE data validation inside PostgreSQL, with background workers
#	and bursts to AWS Lambda. PGXS build of the extension (sage.so) plus
#	the standalone processor sage-validate.
#
#	make            build sage.so and sage-validate
#	make install    install the extension (needs the rights of pg_config's dirs)
#	make demo       everything set up, a temporary cluster, sample executions
#	make test       every test: unit (ASan/UBSan, valgrind), fuzz, cases,
#	                pandas cross-check, SigV4, pg_regress, isolation, TAP

MODULE_big = sage
EXTENSION = sage
DATA = sage--1.0.sql
PGFILEDESC = "sage - SAGE data validation with background workers"

# One object per source file, grouped by directory (core = the processor,
# aws = AWS clients, pg = the extension's adapter).
CORE_SRCS := $(sort $(wildcard src/core/*.c))
AWS_SRCS := $(sort $(wildcard src/aws/*.c))
PG_SRCS := $(sort $(wildcard src/pg/*.c))
OBJS = $(CORE_SRCS:.c=.o) $(AWS_SRCS:.c=.o) $(PG_SRCS:.c=.o)

PG_CPPFLAGS = -I$(srcdir)/src/include -Wall -Wextra -Werror -Wno-unused-parameter \
	-Wno-missing-field-initializers
SHLIB_LINK = -lyaml -lpcre2-8 -lz -lexpat -lcurl -lcrypto -lm

# pg_regress, isolation and TAP suites, each on a temporary instance that
# preloads sage (PGXS has no "make check"). Not TEMP_CONF: Makefile.global
# resets that name.
SAGE_TEMP_CONF = $(srcdir)/test/pg/sage.conf
REGRESS = $(sort $(basename $(notdir $(wildcard sql/*.sql))))
REGRESS_OPTS = --temp-config=$(SAGE_TEMP_CONF) --temp-instance=tmp_check --load-extension=sage
ISOLATION = $(sort $(basename $(notdir $(wildcard specs/*.spec))))
ISOLATION_OPTS = --temp-config=$(SAGE_TEMP_CONF) --temp-instance=tmp_check_iso --load-extension=sage
TAP_TESTS = 1

EXTRA_CLEAN = sage-validate src/cli/*.o lambda/*.o lambda/bootstrap tmp_check tmp_check_iso output_iso results build

PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
# No LLVM bitcode: JIT inlining of sage's functions buys nothing, and the
# extra clang compile doubles build time.
override with_llvm = no
ifneq ($(wildcard $(PGXS)),)
include $(PGXS)
else
# A fresh machine: install the packages first, then build for real.
all install:
	bash test/install_deps.sh
	$(MAKE) $@
endif

# Objects depend on every header they may include (no automatic deps).
$(OBJS): $(wildcard src/include/sage/*.h src/core/*.h src/aws/*.h src/pg/*.h)

# ---------------------------------------------------------------- the CLI
CLI_SRCS := $(sort $(wildcard src/cli/*.c))
CLI_LIBS = -lyaml -lpcre2-8 -lz -lexpat -lm

all: sage-validate lambda/bootstrap

src/cli/%.o: src/cli/%.c
	$(CC) $(CFLAGS) $(PG_CPPFLAGS) -c -o $@ $<

sage-validate: $(CLI_SRCS:.c=.o) $(CORE_SRCS:.c=.o)
	$(CC) $(CFLAGS) -o $@ $^ $(CLI_LIBS)

# ------------------------------------------- the Lambda custom runtime
LAMBDA_SRCS := $(sort $(wildcard lambda/*.c))

lambda/%.o: lambda/%.c $(wildcard lambda/*.h src/include/sage/*.h)
	$(CC) $(CFLAGS) $(PG_CPPFLAGS) -c -o $@ $<

lambda/bootstrap: $(LAMBDA_SRCS:.c=.o) $(CORE_SRCS:.c=.o) $(AWS_SRCS:.c=.o)
	$(CC) $(CFLAGS) -o $@ $^ $(CLI_LIBS) -lcurl -lcrypto

# Deployment packages for provided.al2023 (build/lambda/sage-bootstrap-
# <arch>.zip, libraries and glibc bundled); see lambda/README.md.
LAMBDA_ARCHS ?= x86_64 arm64
.PHONY: lambda-package
lambda-package:
	bash lambda/package.sh $(LAMBDA_ARCHS)

install: install-cli
.PHONY: install-cli
install-cli: sage-validate
	$(INSTALL_PROGRAM) sage-validate '$(DESTDIR)$(bindir)/sage-validate'

# ------------------------------------------------------- demo and tests
.PHONY: demo test check-unit fuzz deps
deps:
	bash test/install_deps.sh

demo:
	bash test/demo.sh

test:
	bash test/run_all.sh

check-unit:
	$(MAKE) -C test unit
