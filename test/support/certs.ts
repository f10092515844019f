import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr?.toString() ?? e.message}`);
  }
}

const REQ_CONFIG = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
`;

export interface CaFiles {
  caKeyPath: string;
  caCertPath: string;
  caPem: string;
}

/** Generate a CA (EC P-256) in dir: ca.key, ca.crt. */
export function generateCa(dir: string, commonName = 'imagestreams test CA'): CaFiles {
  const cfg = join(dir, 'ca.cnf');
  writeFileSync(
    cfg,
    `${REQ_CONFIG}[v3]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
`,
  );
  openssl(
    [
      'req',
      '-x509',
      '-config',
      cfg,
      '-extensions',
      'v3',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      `/CN=${commonName}`,
    ],
    dir,
  );
  const caCertPath = join(dir, 'ca.crt');
  return { caKeyPath: join(dir, 'ca.key'), caCertPath, caPem: readFileSync(caCertPath, 'utf8') };
}

export interface ServerCertFiles {
  certPath: string;
  keyPath: string;
  certPem: string;
}

/** Generate a server cert signed by the CA with SAN IP:127.0.0.1 and DNS:localhost. */
export function generateServerCert(
  dir: string,
  ca: CaFiles,
  name = 'tls',
  usage: 'serverAuth' | 'clientAuth' = 'serverAuth',
): ServerCertFiles {
  const cfg = join(dir, `${name}.cnf`);
  writeFileSync(
    cfg,
    `${REQ_CONFIG}[v3]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = ${usage}
subjectAltName = IP:127.0.0.1,DNS:localhost
authorityKeyIdentifier = keyid
`,
  );
  openssl(
    [
      'req',
      '-new',
      '-config',
      cfg,
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      '/CN=127.0.0.1',
    ],
    dir,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      ca.caCertPath,
      '-CAkey',
      ca.caKeyPath,
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-extfile',
      cfg,
      '-extensions',
      'v3',
    ],
    dir,
  );
  const certPath = join(dir, `${name}.crt`);
  return { certPath, keyPath: join(dir, `${name}.key`), certPem: readFileSync(certPath, 'utf8') };
}

export interface SigningCert {
  keyPath: string;
  certPath: string;
  keyPem: string;
  certPem: string;
  /** base64 (not url-safe) DER of the certificate, for a JWT x5c header. */
  certDerBase64: string;
}

/** Generate an RSA 2048 key and self-signed certificate (token signing). */
export function generateRsaSigningCert(dir: string, commonName = 'imagestreams token issuer'): SigningCert {
  const cfg = join(dir, 'token.cnf');
  writeFileSync(
    cfg,
    `${REQ_CONFIG}[v3]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
`,
  );
  openssl(
    [
      'req',
      '-x509',
      '-config',
      cfg,
      '-extensions',
      'v3',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'token.key',
      '-out',
      'token.crt',
      '-days',
      '2',
      '-subj',
      `/CN=${commonName}`,
    ],
    dir,
  );
  const certPath = join(dir, 'token.crt');
  const keyPath = join(dir, 'token.key');
  const certPem = readFileSync(certPath, 'utf8');
  return {
    certPath,
    keyPath,
    certPem,
    keyPem: readFileSync(keyPath, 'utf8'),
    certDerBase64: new X509Certificate(certPem).raw.toString('base64'),
  };
}
