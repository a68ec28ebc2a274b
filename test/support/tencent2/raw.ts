// Hand-signed API 2.0 requests (spec api2 §1.5) for what the SDK cannot produce: stale timestamps,
// replayed bodies, a missing Nonce.

import http from 'node:http';
import { v1Sign, v1StringToSign, type HmacMethod } from '../../../src/auth/hmacV1.ts';
import { API2_PATH, REGION2, type Qc2Body, type Qc2Creds } from './client.ts';

export interface SignOptions {
  method?: 'GET' | 'POST';
  /** The host string signed (and sent as Host by rawRequest2). Default `127.0.0.1:PORT` of the request. */
  host: string;
  signatureMethod?: HmacMethod;
  /** Unix seconds; default now. */
  timestamp?: number;
  /** Default a random 0–65535; `null` leaves Nonce out. */
  nonce?: number | null;
  /** Default 'ap-guangzhou'. */
  region?: string;
}

export interface SignedRequest {
  method: 'GET' | 'POST';
  host: string;
  /** The form-encoded parameters including Signature (the POST body, or the GET query). */
  encoded: string;
  pairs: Array<[string, string]>;
}

/** Flatten `{a:[{b:1}]}` to `a.0.b=1` the way the SDK's dot-qs does. */
function flatten(prefix: string, v: unknown, out: Array<[string, string]>): void {
  if (Array.isArray(v)) v.forEach((x, i) => flatten(`${prefix}.${i}`, x, out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) flatten(prefix ? `${prefix}.${k}` : k, x, out);
  else out.push([prefix, v === undefined || v === null ? '' : String(v)]);
}

/** Sign a 2.0 request by hand with src/auth/hmacV1.ts (flavor 'api2'). */
export function sign2(creds: Qc2Creds, data: Record<string, unknown>, o: SignOptions): SignedRequest {
  const method = o.method ?? 'POST';
  const signatureMethod = o.signatureMethod ?? 'HmacSHA1';
  const common: Record<string, unknown> = {
    Region: o.region ?? REGION2,
    SecretId: creds.secretId,
    Timestamp: o.timestamp ?? Math.round(Date.now() / 1000),
    ...(o.nonce === null ? {} : { Nonce: o.nonce ?? Math.floor(Math.random() * 65536) }),
    ...(signatureMethod === 'HmacSHA256' ? { SignatureMethod: 'HmacSHA256' } : {}),
  };
  const pairs: Array<[string, string]> = [];
  flatten('', { ...common, ...data }, pairs);
  const signature = v1Sign(creds.secretKey, v1StringToSign(method, o.host, API2_PATH, pairs, 'api2'), signatureMethod);
  pairs.push(['Signature', signature]);
  const encoded = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  return { method, host: o.host, encoded, pairs };
}

export interface RawAnswer {
  status: number;
  contentType: string;
  text: string;
  body: Qc2Body;
}

/** Send a signed (or any) request to 127.0.0.1:port with the given Host header; parse the JSON answer. */
export function rawRequest2(port: number, req: SignedRequest): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const isPost = req.method === 'POST';
    const r = http.request(
      {
        host: '127.0.0.1',
        port,
        method: req.method,
        path: isPost ? API2_PATH : `${API2_PATH}?${req.encoded}`,
        headers: {
          host: req.host,
          accept: 'application/json',
          ...(isPost ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(req.encoded) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: Qc2Body;
          try {
            body = JSON.parse(text) as Qc2Body;
          } catch {
            return reject(new Error(`non-JSON answer (HTTP ${res.statusCode}): ${text.slice(0, 500)}`));
          }
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text, body });
        });
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    if (isPost) r.write(req.encoded);
    r.end();
  });
}
