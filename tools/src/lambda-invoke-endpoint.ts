import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A local stand-in for the AWS Lambda Invoke API (`POST /2015-03-31/functions/{name}/invocations`),
 * enough for `@aws-sdk/client-lambda`'s InvokeCommand: RequestResponse invocations, each run in a
 * fresh Node child process (like a cold start) that imports the function's module and calls the
 * exported handler with the payload and a Lambda-shaped context. It answers like Lambda does:
 * the handler's JSON result, `X-Amz-Function-Error: Unhandled` with `{ errorType, errorMessage }`
 * when it throws or times out, `X-Amz-Log-Result` (base64 tail of the output) for `LogType: Tail`,
 * 404 ResourceNotFoundException for an unknown function, and 429 TooManyRequestsException for the
 * first `throttleFirst` invocations or above `maxConcurrent` in flight.
 */
export interface LocalFunction {
  /** Absolute path of an ES module (.mjs/.js) exporting the handler. */
  readonly module: string;
  /** Export name; default `handler`. */
  readonly export?: string;
  /** Function timeout, ms; default 10,000. */
  readonly timeoutMs?: number;
  readonly memoryMiB?: number;
  /** The function's environment variables (layered over this process's). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface LambdaInvokeEndpointOptions {
  readonly functions: Readonly<Record<string, LocalFunction>>;
  /** Answer 429 to the first K invocations (a throttling test). */
  readonly throttleFirst?: number;
  /** Answer 429 while this many invocations are running (reserved concurrency). */
  readonly maxConcurrent?: number;
}

export interface LambdaInvokeEndpointStats {
  /** Invocations that ran a handler. */
  readonly invocations: number;
  readonly throttled: number;
  readonly maxInFlight: number;
}

export interface LambdaInvokeEndpoint {
  /** `http://127.0.0.1:<port>`: the Lambda client's `endpoint`. */
  readonly endpoint: string;
  stats(): LambdaInvokeEndpointStats;
  /** Stops accepting, kills running handlers, removes the temp dir. */
  stop(): Promise<void>;
}

/** The child process: reads the event over IPC, runs the handler, sends back its result. */
const RUNNER = `
import { pathToFileURL } from 'node:url';
process.once('message', async ({ module, exportName, functionName, timeoutMs, memoryMiB, requestId, event }) => {
  const deadline = Date.now() + timeoutMs;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:' + functionName,
    memoryLimitInMB: String(memoryMiB),
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/' + functionName,
    logStreamName: 'local/' + requestId,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {}, fail() {}, succeed() {},
  };
  let reply;
  try {
    const mod = await import(pathToFileURL(module).href);
    const handler = mod[exportName];
    if (typeof handler !== 'function') throw new TypeError(module + ' exports no function ' + exportName);
    reply = { ok: true, result: await handler(event, context) };
  } catch (e) {
    reply = { ok: false, errorType: (e && e.name) || 'Error', errorMessage: String((e && e.message) || e), trace: String((e && e.stack) || '').split('\\n') };
  }
  process.send(reply, () => process.exit(0));
});
`;

export async function startLambdaInvokeEndpoint(options: LambdaInvokeEndpointOptions): Promise<LambdaInvokeEndpoint> {
  const dir = await mkdtemp(join(tmpdir(), 'fmi-lambda-'));
  const runner = join(dir, 'runner.mjs');
  await writeFile(runner, RUNNER);
  let invocations = 0;
  let throttled = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let arrivals = 0;
  const children = new Set<ReturnType<typeof fork>>();

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const awsError = (res: ServerResponse, status: number, type: string, message: string) =>
    json(res, status, { Type: 'User', message }, { 'x-amzn-ErrorType': type, 'x-amzn-RequestId': randomUUID() });

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const m = /^\/2015-03-31\/functions\/([^/]+)\/invocations(\?.*)?$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !m) return awsError(res, 404, 'UnknownOperationException', `no such operation: ${req.method} ${req.url}`);
    const name = decodeURIComponent(m[1])
      .replace(/^arn:aws:lambda:[^:]+:\d+:function:/, '')
      .replace(/:.*$/, '');
    const fn = options.functions[name];
    if (!fn) return awsError(res, 404, 'ResourceNotFoundException', `Function not found: arn:aws:lambda:us-east-1:000000000000:function:${name}`);
    const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (type !== 'RequestResponse') return awsError(res, 400, 'InvalidParameterValueException', `this local endpoint runs RequestResponse only, got ${type}`);
    arrivals++;
    if (arrivals <= (options.throttleFirst ?? 0) || (options.maxConcurrent !== undefined && inFlight >= options.maxConcurrent)) {
      throttled++;
      return awsError(res, 429, 'TooManyRequestsException', 'Rate Exceeded.');
    }
    let event: unknown;
    try {
      const text = Buffer.concat(chunks).toString('utf8');
      event = text ? JSON.parse(text) : {};
    } catch {
      return awsError(res, 400, 'InvalidRequestContentException', 'Could not parse request body into json');
    }
    invocations++;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const requestId = randomUUID();
    const timeoutMs = fn.timeoutMs ?? 10_000;
    // A clean Node, like the Lambda runtime: not the test runner's flags (its source-condition imports).
    const child = fork(runner, [], {
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, ...fn.env, AWS_LAMBDA_FUNCTION_NAME: name },
    });
    children.add(child);
    let output = '';
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString('utf8');
    });
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString('utf8');
    });
    const reply = await new Promise<{ ok: boolean; result?: unknown; errorType?: string; errorMessage?: string; trace?: string[] }>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve({ ok: false, errorType: 'Sandbox.Timedout', errorMessage: `${requestId} Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds` });
      }, timeoutMs);
      child.once('message', (msg) => {
        clearTimeout(timer);
        resolve(msg as never);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolve({
          ok: false,
          errorType: 'Runtime.ExitError',
          errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: ${signal ?? `exit status ${code}`}`,
        });
      });
      child.send({ module: fn.module, exportName: fn.export ?? 'handler', functionName: name, timeoutMs, memoryMiB: fn.memoryMiB ?? 1024, requestId, event });
    });
    // Lambda freezes the sandbox after the reply; here the process goes away (the runner exits).
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const kill = setTimeout(() => child.kill('SIGKILL'), 2_000);
      await exited;
      clearTimeout(kill);
    }
    children.delete(child);
    inFlight--;
    const tail = Buffer.from(output.slice(-4096)).toString('base64');
    const headers: Record<string, string> = { 'X-Amz-Executed-Version': '$LATEST', 'x-amzn-RequestId': requestId };
    if (String(req.headers['x-amz-log-type'] ?? '') === 'Tail') headers['X-Amz-Log-Result'] = tail;
    if (reply.ok) return json(res, 200, reply.result ?? null, headers);
    return json(
      res,
      200,
      { errorType: reply.errorType, errorMessage: reply.errorMessage, trace: reply.trace ?? [] },
      { ...headers, 'X-Amz-Function-Error': 'Unhandled' },
    );
  });
  // RequestResponse invocations last as long as the function runs.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats: () => ({ invocations, throttled, maxInFlight }),
    stop: () => {
      stopping ??= (async () => {
        for (const c of children) c.kill('SIGKILL');
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await rm(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
