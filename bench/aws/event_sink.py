#!/usr/bin/env python3
# bench/aws/event_sink.py
#	The fastest local stand-in for Lambda's Invoke endpoint that one
#	Python process can be, for measuring the client side of Event
#	dispatch (bench/aws/aws_bench.c): an asyncio HTTP/1.1 server with
#	keep-alive that reads each request (headers + Content-Length body)
#	and answers "202 Accepted" with an empty body. No SigV4 check and no
#	JSON parsing (test/services/lambda_service.py --discard does both,
#	and is measured separately). Counts the requests it answered and
#	prints the count on SIGTERM/SIGINT to stderr; GET /_sage/stats?n=K
#	answers {"accepted": count, "at": epoch seconds of the Kth request}
#	(bench/pg/run_dispatch_bench.sh times the dispatcher with it).
#
#	usage: event_sink.py [--port-file F]   (binds 127.0.0.1, a free port;
#	prints the port on stdout)

import asyncio
import json
import signal
import sys
import time

REPLY = (b'HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n'
         b'x-amzn-RequestId: 00000000-0000-0000-0000-000000000000\r\n'
         b'X-Amz-Executed-Version: $LATEST\r\n\r\n')
count = 0
times = []


def stats(head):
    """The answer to GET /_sage/stats?n=K."""
    line0 = head.split(b'\r\n')[0].decode()
    k = int(line0.split('n=')[1].split()[0]) if 'n=' in line0 else 0
    body = json.dumps({'accepted': count,
                       'at': times[k - 1] if 0 < k <= len(times) else None}).encode()
    return b'HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n' % len(body) + body


async def serve(reader, writer):
    global count
    try:
        while True:
            head = await reader.readuntil(b'\r\n\r\n')
            length = 0
            for line in head.split(b'\r\n'):
                if line[:15].lower() == b'content-length:':
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            if head.startswith(b'GET /_sage/stats'):
                writer.write(stats(head))
                continue
            count += 1
            times.append(time.time())
            writer.write(REPLY)
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError,
            asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(serve, '127.0.0.1', 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    if len(sys.argv) == 3 and sys.argv[1] == '--port-file':
        with open(sys.argv[2] + '.tmp', 'w') as f:
            f.write('%d\n' % port)
        import os
        os.rename(sys.argv[2] + '.tmp', sys.argv[2])
    print(port, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    await stop.wait()
    sys.stderr.write('event_sink: %d requests answered\n' % count)


asyncio.run(main())
