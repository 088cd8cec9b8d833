#!/usr/bin/python3
# test/deploy/check_template.py
#	Asserts that lambda/template.yaml carries the settings of
#	SAGE-LAMBDA-DESIGN.md ("Configuraciones Recomendadas") and of
#	ARCHITECTURE.md: function (provided.al2023, 2048 MB, 900 s, reserved
#	concurrency 50, architecture x86_64|arm64, async retries 0 with an
#	on-failure destination), lock table (key, TTL, on-demand), bucket
#	(encryption, public access blocked, 30-day expiry of executions/),
#	least-privilege IAM (actions and resources scoped to the prefix and
#	the table, "*" only where AWS requires it), alarms (thresholds) and a
#	dashboard whose metrics are those the bootstrap's EMF writer
#	(lambda/bootstrap.c) and the extension (src/pg/metrics.c) send.
#
#	  /usr/bin/python3 test/deploy/check_template.py [TEMPLATE]
#
#	Parameters are resolved to their defaults. Prints "N passed, M failed".

import json
import os
import re
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
TEMPLATE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(TOP, "lambda", "template.yaml")

passed = 0
failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
        print("ok   - " + what)
    else:
        failed += 1
        print("FAIL - " + what)
    return cond


# ------------------------------------------------ a CloudFormation loader
class CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short forms (!Ref, !Sub, !GetAtt...),
    turned into their long forms ({"Ref": x}, {"Fn::Sub": ...})."""


def _cfn_constructor(tag, name):
    def construct(loader, node):
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if name == "Fn::GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}
    CfnLoader.add_constructor(tag, construct)


_cfn_constructor("!Ref", "Ref")
_cfn_constructor("!Condition", "Condition")
for _fn in ("Sub", "GetAtt", "If", "Equals", "Not", "And", "Or", "Join", "Select",
            "Split", "FindInMap", "GetAZs", "ImportValue", "Base64", "Cidr"):
    _cfn_constructor("!" + _fn, "Fn::" + _fn)


def load(path):
    with open(path) as f:
        return yaml.load(f, Loader=CfnLoader)


# ------------------------------------------------ helpers
def main():
    t = load(TEMPLATE)
    params = t.get("Parameters", {})
    res = t.get("Resources", {})

    def default(name):
        return params.get(name, {}).get("Default")

    def val(x):
        """A property's value, a Ref to a parameter resolved to its default."""
        if isinstance(x, dict) and list(x) == ["Ref"] and x["Ref"] in params:
            return default(x["Ref"])
        return x

    def num(x):
        v = val(x)
        try:
            return float(v)
        except (TypeError, ValueError):
            return None

    def of_type(typ):
        return {k: r for k, r in res.items() if r.get("Type") == typ}

    def one(typ):
        found = of_type(typ)
        check(len(found) == 1, "exactly one %s (%s)" % (typ, sorted(found)))
        return next(iter(found.items())) if found else (None, {})

    def is_ref(x, name):
        return x == {"Ref": name}

    def is_arn_of(x, name):
        return x == {"Fn::GetAtt": [name, "Arn"]}

    def sub_text(x):
        if isinstance(x, dict) and "Fn::Sub" in x:
            s = x["Fn::Sub"]
            return s if isinstance(s, str) else s[0]
        return None

    print("template: %s" % os.path.relpath(TEMPLATE, TOP))
    check(t.get("AWSTemplateFormatVersion") == "2010-09-09", "AWSTemplateFormatVersion 2010-09-09")

    # ------------------------------------------------ the function
    fn_name, fn = one("AWS::Lambda::Function")
    fp = fn.get("Properties", {})
    check(fp.get("Runtime") == "provided.al2023", "function runtime provided.al2023")
    check(fp.get("Handler") == "bootstrap", "function handler bootstrap")
    check(num(fp.get("MemorySize")) == 2048 and isinstance(fp.get("MemorySize"), dict),
          "memory 2048 MB (a parameter, default 2048)")
    check(num(fp.get("Timeout")) == 900 and params.get("Timeout", {}).get("MaxValue") == 900,
          "timeout 900 s (a parameter, default and maximum 900)")
    check(num(fp.get("ReservedConcurrentExecutions")) == 50,
          "reserved concurrency 50 (default)")
    arch = fp.get("Architectures")
    check(isinstance(arch, list) and len(arch) == 1 and is_ref(arch[0], "Architecture") and
          params["Architecture"].get("AllowedValues") == ["x86_64", "arm64"] and
          default("Architecture") == "x86_64",
          "architecture parameter x86_64|arm64 (default x86_64)")
    code = fp.get("Code", {})
    check(is_ref(code.get("S3Bucket"), "CodeS3Bucket") and is_ref(code.get("S3Key"), "CodeS3Key"),
          "code from the package zip in S3 (CodeS3Bucket/CodeS3Key)")
    check(default("FunctionName") == "sage-file-processor" and
          is_ref(fp.get("FunctionName"), "FunctionName"),
          "function name parameter, default sage-file-processor")

    eic_name, eic = one("AWS::Lambda::EventInvokeConfig")
    ep = eic.get("Properties", {})
    check(ep.get("MaximumRetryAttempts") == 0, "async MaximumRetryAttempts 0")
    check(is_ref(ep.get("FunctionName"), fn_name) and ep.get("Qualifier") == "$LATEST",
          "EventInvokeConfig applies to the function's $LATEST")
    dest = ep.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
    queue = dest["Fn::GetAtt"][0] if isinstance(dest, dict) and "Fn::GetAtt" in dest else None
    check(queue in of_type("AWS::SQS::Queue") and dest["Fn::GetAtt"][1] == "Arn",
          "on-failure destination: the SQS queue %s" % queue)

    # ------------------------------------------------ the lock table
    tbl_name, tbl = one("AWS::DynamoDB::Table")
    tp = tbl.get("Properties", {})
    check(val(tp.get("TableName")) == "sage_execution_locks", "table sage_execution_locks (default)")
    check(tp.get("KeySchema") == [{"AttributeName": "execution_id", "KeyType": "HASH"}] and
          tp.get("AttributeDefinitions") == [{"AttributeName": "execution_id",
                                              "AttributeType": "S"}],
          "key schema: execution_id (string) only")
    check(tp.get("TimeToLiveSpecification") == {"AttributeName": "expiration_time",
                                                "Enabled": True},
          "TTL enabled on expiration_time")
    check(tp.get("BillingMode") == "PAY_PER_REQUEST" and "ProvisionedThroughput" not in tp,
          "billing on demand (PAY_PER_REQUEST)")

    # ------------------------------------------------ the bucket
    b_name, b = one("AWS::S3::Bucket")
    bp = b.get("Properties", {})
    sse = bp.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", [])
    check(len(sse) >= 1 and sse[0].get("ServerSideEncryptionByDefault", {}).get("SSEAlgorithm")
          in ("AES256", "aws:kms"), "bucket default encryption")
    pab = bp.get("PublicAccessBlockConfiguration", {})
    check(all(pab.get(k) is True for k in ("BlockPublicAcls", "BlockPublicPolicy",
                                            "IgnorePublicAcls", "RestrictPublicBuckets")),
          "bucket public access blocked (all four settings)")
    rules = bp.get("LifecycleConfiguration", {}).get("Rules", [])
    prefix = default("ExecutionsPrefix")
    expiring = [r for r in rules if r.get("Status") == "Enabled" and
                val(r.get("Prefix", r.get("Filter", {}).get("Prefix"))) == "executions/" and
                num(r.get("ExpirationInDays")) == 30]
    check(prefix == "executions/" and len(expiring) == 1,
          "lifecycle: objects under executions/ expire after 30 days")
    pols = [p for p in of_type("AWS::S3::BucketPolicy").values()
            if is_ref(p["Properties"].get("Bucket"), b_name)]
    deny_http = [s for p in pols for s in p["Properties"]["PolicyDocument"]["Statement"]
                 if s.get("Effect") == "Deny" and
                 s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"]
    check(len(deny_http) == 1, "bucket policy refuses requests without TLS")

    # ------------------------------------------------ IAM
    bucket_arn = {"Fn::GetAtt": [b_name, "Arn"]}
    prefix_arn_sub = "${%s.Arn}/${ExecutionsPrefix}*" % b_name
    table_arn = {"Fn::GetAtt": [tbl_name, "Arn"]}

    def statements(doc):
        st = doc.get("Statement", [])
        return st if isinstance(st, list) else [st]

    def as_list(x):
        return x if isinstance(x, list) else [x]

    def check_statements(who, sts, allowed):
        """Each Allow statement: actions from one service group of ALLOWED
        and resources exactly the expected ones; no wildcard actions."""
        seen = set()
        bad = []
        for s in sts:
            if s.get("Effect") != "Allow":
                bad.append("non-Allow statement %r" % s.get("Sid"))
                continue
            acts = as_list(s.get("Action"))
            if any("*" in a for a in acts):
                bad.append("wildcard action in %s" % s.get("Sid"))
            for key, (actions, resources, cond) in allowed.items():
                if set(acts) <= actions and acts:
                    rs = as_list(s.get("Resource"))
                    if not all(any(r == e for e in resources) for r in rs):
                        bad.append("%s: resource %r not scoped" % (s.get("Sid"), rs))
                    if cond is not None and s.get("Condition") != cond:
                        bad.append("%s: condition %r" % (s.get("Sid"), s.get("Condition")))
                    if cond is None and "Condition" in s:
                        bad.append("%s: unexpected condition" % s.get("Sid"))
                    seen.add(key)
                    break
            else:
                bad.append("%s: actions %r outside the expected sets" % (s.get("Sid"), acts))
        check(not bad, "%s: every statement scoped %s" % (who, bad))
        return seen

    list_cond = {"StringLike": {"s3:prefix": {"Fn::Sub": "${ExecutionsPrefix}*"}}}
    ddb_actions = {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem",
                   "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"}
    roles = of_type("AWS::IAM::Role")
    fn_role = fp.get("Role", {}).get("Fn::GetAtt", [None])[0]
    check(fn_role in roles, "function role %s defined here" % fn_role)
    role = roles.get(fn_role, {}).get("Properties", {})
    trust = statements(role.get("AssumeRolePolicyDocument", {}))
    check(len(trust) == 1 and trust[0].get("Principal") == {"Service": "lambda.amazonaws.com"} and
          trust[0].get("Action") == "sts:AssumeRole", "function role trusted by Lambda only")
    check(not role.get("ManagedPolicyArns"), "function role: no managed policies (all inline, scoped)")
    log_groups = of_type("AWS::Logs::LogGroup")
    lg = next(iter(log_groups), None)
    check(lg is not None and sub_text(log_groups[lg]["Properties"].get("LogGroupName"))
          == "/aws/lambda/${FunctionName}", "the function's log group is in the template")
    fn_sts = [s for p in role.get("Policies", []) for s in statements(p["PolicyDocument"])]
    seen = check_statements("function role", fn_sts, {
        "logs": ({"logs:CreateLogStream", "logs:PutLogEvents"},
                 [{"Fn::Sub": "${%s.Arn}:*" % lg}], None),
        "objects": ({"s3:GetObject", "s3:PutObject"}, [{"Fn::Sub": prefix_arn_sub}], None),
        "list": ({"s3:ListBucket"}, [bucket_arn], list_cond),
        "table": (ddb_actions, [table_arn], None),
        "queue": ({"sqs:SendMessage"}, [{"Fn::GetAtt": [queue, "Arn"]}], None),
    })
    check(seen == {"logs", "objects", "list", "table", "queue"},
          "function role: logs, its prefix, its table, the failure queue (%s)" % sorted(seen))

    hp_name, hp = one("AWS::IAM::ManagedPolicy")
    hsts = statements(hp.get("Properties", {}).get("PolicyDocument", {}))
    ns_cond = {"StringEquals": {"cloudwatch:namespace": {"Ref": "MetricsNamespace"}}}
    seen = check_statements("host policy", hsts, {
        "invoke": ({"lambda:InvokeFunction"},
                   [{"Fn::GetAtt": [fn_name, "Arn"]}, {"Fn::Sub": "${%s.Arn}:*" % fn_name}], None),
        "objects": ({"s3:GetObject", "s3:PutObject", "s3:DeleteObject"},
                    [{"Fn::Sub": prefix_arn_sub}], None),
        "list": ({"s3:ListBucket"}, [bucket_arn], list_cond),
        "table": (ddb_actions, [table_arn], None),
        # PutMetricData has no resource type: "*" is required, the
        # namespace condition narrows it
        "metrics": ({"cloudwatch:PutMetricData"}, ["*"], ns_cond),
    })
    check(seen == {"invoke", "objects", "list", "table", "metrics"},
          "host policy: invoke, prefix, table, metrics (%s)" % sorted(seen))
    host_ddb = set(a for s in hsts for a in as_list(s["Action"]) if a.startswith("dynamodb:"))
    check({"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem",
           "dynamodb:UpdateItem", "dynamodb:DeleteItem"} <= host_ddb,
          "host policy: DynamoDB Get/BatchGet/Put/Update/Delete on the table")
    check(default("MetricsNamespace") == "SAGE", "metrics namespace SAGE (default)")

    # "*" as a resource: only for PutMetricData (above) and never elsewhere
    def stars(node, path):
        out = []
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("Resource", "NotResource") and "*" in as_list(v):
                    out.append(path)
                out += stars(v, path + "/" + str(k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                out += stars(v, path + "/" + str(i))
        return out
    star_paths = stars(res, "")
    check(star_paths == ["/%s/Properties/PolicyDocument/Statement/%d"
                         % (hp_name, [i for i, s in enumerate(hsts)
                                      if s.get("Resource") == "*"][0])],
          "no \"*\" resource except cloudwatch:PutMetricData (%s)" % star_paths)

    # ------------------------------------------------ alarms
    alarms = of_type("AWS::CloudWatch::Alarm")
    by_metric = {}
    for name, a in alarms.items():
        ap = a["Properties"]
        metric = ap.get("MetricName")
        if metric is None:
            for m in ap.get("Metrics", []):
                if "MetricStat" in m:
                    metric = m["MetricStat"]["Metric"]["MetricName"]
        by_metric[metric] = ap
    e = by_metric.get("Errors", {})
    check(e.get("Namespace") == "AWS/Lambda" and num(e.get("Threshold")) == 5 and
          e.get("ComparisonOperator") == "GreaterThanThreshold" and
          num(e.get("Period")) == 300 and e.get("EvaluationPeriods") == 1 and
          e.get("Statistic") == "Sum" and
          e.get("Dimensions") == [{"Name": "FunctionName", "Value": {"Ref": fn_name}}],
          "alarm: function Errors > 5 in 5 minutes")
    d = by_metric.get("Duration", {})
    check(d.get("Namespace") == "AWS/Lambda" and num(d.get("Threshold")) == 600000 and
          d.get("ComparisonOperator") == "GreaterThanThreshold" and
          d.get("Statistic") == "Maximum" and
          d.get("Dimensions") == [{"Name": "FunctionName", "Value": {"Ref": fn_name}}],
          "alarm: function Duration > 10 minutes (600000 ms)")
    c = by_metric.get("ConcurrentExecutions", {})
    exprs = [m.get("Expression") for m in c.get("Metrics", []) if m.get("ReturnData")]
    stat = [m["MetricStat"] for m in c.get("Metrics", []) if "MetricStat" in m]
    check(num(c.get("Threshold")) == 90 and c.get("ComparisonOperator") == "GreaterThanThreshold"
          and exprs == [{"Fn::Sub": "100 * concurrency / ${ReservedConcurrency}"}] and
          len(stat) == 1 and stat[0]["Metric"]["Namespace"] == "AWS/Lambda" and
          stat[0]["Stat"] == "Maximum",
          "alarm: ConcurrentExecutions > 90% of the reserved concurrency")
    check(all(a["Properties"].get("AlarmActions") == {"Fn::If": ["HasAlarmTopic",
                                                                  [{"Ref": "AlarmTopicArn"}],
                                                                  {"Ref": "AWS::NoValue"}]}
              for a in alarms.values()), "alarms notify AlarmTopicArn when given")

    # ------------------------------------------------ dashboard
    dname, dash = one("AWS::CloudWatch::Dashboard")
    body_sub = dash["Properties"]["DashboardBody"]["Fn::Sub"]
    text, subvars = (body_sub, {}) if isinstance(body_sub, str) else body_sub
    names = set(re.findall(r"\$\{([A-Za-z0-9:._]+)\}", text))
    known = set(params) | set(res) | set(subvars) | {"AWS::Region", "AWS::AccountId"}
    check(names <= known, "dashboard: every ${...} is a parameter, resource or variable (%s)"
          % sorted(names - known))
    fill = {"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012",
            fn_name: "sage-file-processor", "Price": "0.0000166667"}
    for p in params:
        fill.setdefault(p, str(default(p)))
    try:
        body = json.loads(re.sub(r"\$\{([A-Za-z0-9:._]+)\}", lambda m: fill.get(m.group(1), "x"),
                                 text))
    except ValueError as err:
        body = None
        print("dashboard body: %s" % err)
    if not check(body is not None and body.get("widgets"), "dashboard body is valid JSON"):
        body = {"widgets": []}
    titles = [w["properties"].get("title", "") for w in body["widgets"]]
    for want in ("local vs Lambda", "processing time", "Success and failure rate", "Daily cost"):
        check(any(want.lower() in t.lower() for t in titles), "dashboard widget: %s" % want)
    used = set()
    for w in body["widgets"]:
        for m in w["properties"].get("metrics", []):
            if m and isinstance(m[0], str):
                dims = [x for x in m[2:] if isinstance(x, str)]
                used.add((m[0], m[1], tuple(dims[0::2])))
    # names and dimensions the two writers really send
    boot = open(os.path.join(TOP, "lambda", "bootstrap.c")).read()
    emf_ns = re.search(r'#define BOOT_EMF_NAMESPACE "([^"]+)"', boot).group(1)
    emf_names = set(re.findall(r'm\[n\]\.name = "([A-Za-z]+)"', boot))
    emf_dims = re.search(r'SageMetricDimension dims\[2\] = \{\{"([A-Za-z]+)", "([a-z]+)"\},\s*'
                         r'\{"([A-Za-z]+)"', boot)
    emf_dim = emf_dims and (emf_dims.group(1), emf_dims.group(2), emf_dims.group(3))
    check(emf_ns == "SAGE" and emf_dim == ("Where", "lambda", "FunctionName") and
          {"Invocations", "Succeeded", "DurationMs", "Refused"} <= emf_names,
          "bootstrap EMF: namespace %s, dimension %s, metrics %s" % (emf_ns, emf_dim,
                                                                    sorted(emf_names)))
    sage_used = {(n, d) for ns, n, d in used if ns == "SAGE"}
    boot_used = {n for n, d in sage_used if d == ("Where", "FunctionName")}
    check(boot_used and boot_used <= emf_names,
          "dashboard: SAGE metrics by Where and FunctionName are the bootstrap's (%s)"
          % sorted(boot_used))
    where_used = {n for n, d in sage_used if d == ("Where",)}
    metrics_c = os.path.join(TOP, "src", "pg", "metrics.c")
    if os.path.exists(metrics_c):
        mc = open(metrics_c).read()
        ext_names = set(re.findall(r'"(Invocations|Succeeded|Records|Errors|DurationMs)"', mc))
        check('"Where"' in mc and where_used and where_used <= ext_names,
              "dashboard: SAGE metrics by Where are the extension's (%s of %s)"
              % (sorted(where_used), sorted(ext_names)))
    check(sage_used <= {(n, ("Where", "FunctionName")) for n in emf_names} |
          {(n, ("Where",)) for n in ("Invocations", "Succeeded", "Records", "Errors",
                                     "DurationMs")},
          "dashboard: no SAGE metric outside the names both writers send")
    check(("SAGE", "Invocations", ("Where",)) in used and
          "local" in text and "lambda" in text, "dashboard: Where=local and Where=lambda")
    cost = [w for w in body["widgets"] if "cost" in w["properties"].get("title", "").lower()]
    cost_exprs = [m[0]["expression"] for w in cost for m in w["properties"]["metrics"]
                  if m and isinstance(m[0], dict)]
    check(cost and cost[0]["properties"].get("period") == 86400 and
          any("2048" in e and "0.0000166667" in e for e in cost_exprs) and
          any("0.0000002" in e for e in cost_exprs),
          "dashboard: daily cost = duration x memory x GB-second price + requests x price")
    check(subvars.get("Price") == {"Fn::If": ["IsArm64", {"Ref": "PriceGbSecondArm64"},
                                              {"Ref": "PriceGbSecondX86"}]} and
          default("PriceGbSecondX86") == "0.0000166667" and
          default("PriceGbSecondArm64") == "0.0000133334" and
          default("PriceRequest") == "0.0000002",
          "dashboard: price by architecture, defaults = sage.lambda_price_* GUCs")

    # ------------------------------------------------ outputs for the GUCs
    outs = t.get("Outputs", {})
    check(all(k in outs for k in ("FunctionName", "BucketName", "LockTableName",
                                  "HostPolicyArn", "Region")),
          "outputs for sage.lambda_function, sage.s3_bucket, sage.lock_table, the host policy")

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
