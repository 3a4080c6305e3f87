import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { HttpRequest as AzureHttpRequest, InvocationContext as AzureInvocationContext, HttpResponseInit } from '@azure/functions';
// @azure/functions is CommonJS; Node's ESM loader exposes it as a default export only.
import functionsPackage from '@azure/functions';

const { HttpRequest, InvocationContext } = functionsPackage;

/** An HTTP handler as registered with `app.http(name, { handler })` in the v4 programming model. */
export type AzureHttpHandler = (request: AzureHttpRequest, context: AzureInvocationContext) => Promise<HttpResponseInit> | HttpResponseInit;

/** A local stand-in for the Azure Functions host's HTTP front end. */
export interface AzureFunctionsHostHandle {
  /** `http://127.0.0.1:<port>/api/` — functions are served at `/api/<name>`, as on Azure. */
  readonly baseUrl: string;
  readonly port: number;
  /** Requests answered 429 so far (see `throttleFirst`). */
  throttled(): number;
  /** Invocations handed to a handler so far. */
  invocations(): number;
  /** What handlers logged through their InvocationContext. */
  logs(): readonly string[];
  stop(): Promise<void>;
}

export interface StartAzureFunctionsHostOptions {
  /** Handlers by function name. */
  readonly functions: Readonly<Record<string, AzureHttpHandler>>;
  /**
   * Answer the first N requests with 429 and `Retry-After: 0` before any handler runs, as the
   * Consumption plan's front end does while it scales out.
   */
  readonly throttleFirst?: number;
}

/**
 * A small node:http server that turns each `POST /api/<name>` into a call of the registered handler
 * with a real `@azure/functions` `HttpRequest` and `InvocationContext` (both constructible in v4 for
 * exactly this purpose), and writes the returned `HttpResponseInit` back — status, headers,
 * `jsonBody` or `body`. It is not the Functions host (no bindings, no worker protocol); it is what an
 * HTTP trigger looks like from the caller's side and from the handler's side.
 */
export async function startAzureFunctionsHost(options: StartAzureFunctionsHostOptions): Promise<AzureFunctionsHostHandle> {
  let throttleLeft = options.throttleFirst ?? 0;
  let throttled = 0;
  let invocations = 0;
  const logs: string[] = [];

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`host error: ${error instanceof Error ? error.message : String(error)}`);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const match = /^\/api\/([^/]+)$/.exec(url.pathname);
    const handler = match ? options.functions[decodeURIComponent(match[1]!)] : undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (!match || !handler) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no such function');
      return;
    }
    if (throttleLeft > 0) {
      throttleLeft--;
      throttled++;
      res.writeHead(429, { 'retry-after': '0', 'content-type': 'text/plain' }).end('Too Many Requests');
      return;
    }
    invocations++;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers[name] = value;
    const request = new HttpRequest({
      method: req.method ?? 'GET',
      url: `http://127.0.0.1${req.url ?? '/'}`,
      headers,
      body: { bytes: new Uint8Array(Buffer.concat(chunks)) },
      query: Object.fromEntries(url.searchParams),
      params: {},
    });
    const context = new InvocationContext({
      invocationId: randomUUID(),
      functionName: decodeURIComponent(match[1]!),
      logHandler: (level, ...args) => logs.push(`${level}: ${args.map(String).join(' ')}`),
    });
    const answer = await handler(request, context);
    const status = answer.status ?? 200;
    if (answer.jsonBody !== undefined) {
      res.writeHead(status, { 'content-type': 'application/json', ...plainHeaders(answer.headers) }).end(JSON.stringify(answer.jsonBody));
    } else {
      const body = answer.body;
      res
        .writeHead(status, plainHeaders(answer.headers))
        .end(typeof body === 'string' || body instanceof Uint8Array ? body : body === undefined || body === null ? '' : String(body));
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  let stopping: Promise<void> | undefined;
  return {
    baseUrl: `http://127.0.0.1:${port}/api/`,
    port,
    throttled: () => throttled,
    invocations: () => invocations,
    logs: () => logs,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}

function plainHeaders(headers: HttpResponseInit['headers']): Record<string, string> {
  if (!headers) return {};
  if (Array.isArray(headers)) return Object.fromEntries(headers as Array<[string, string]>);
  if (typeof (headers as { entries?: unknown }).entries === 'function' && !(headers.constructor === Object)) {
    return Object.fromEntries((headers as unknown as { entries(): Iterable<[string, string]> }).entries());
  }
  return headers as Record<string, string>;
}
