/**
 * The custom domain the page is served on. On the HTTP trigger's own `fcapp.run` address FC makes browsers
 * download HTML instead of showing it, so the page needs a domain of its own: every path and every method the API
 * uses goes to the API function, which serves both the page and `/api` (same origin, so no CORS is needed).
 *
 * FC checks, when the domain is created, that the name's CNAME points to the account's FC endpoint
 * (`fcEndpoint`): the stack cannot create that record at an arbitrary DNS provider, so it must exist first.
 */
import * as alicloud from '@pulumi/alicloud';
import * as pulumi from '@pulumi/pulumi';
import { API_METHODS } from './apiFunction';
import { hostNameProblem, type CustomDomainTls } from './config';

/** Every path: the API routes the page, its files and `/api` itself. */
export const CUSTOM_DOMAIN_PATH = '/*';
/** TLS 1.0 and 1.1 are deprecated (RFC 8996); every current browser speaks 1.2 or 1.3. */
export const TLS_MIN_VERSION = 'TLSv1.2';
export const TLS_MAX_VERSION = 'TLSv1.3';
/**
 * The TLS field FC fills itself: sent without cipher suites, FC picks its default list, and the provider reads that
 * list back into the state (its `tls_config.cipher_suites` is Optional, not Computed, and its Read sets it from FC's
 * answer), so every later `pulumi preview` would diff it away and every `pulumi up` send the empty list again, for
 * nothing: a perpetual diff. FC's default list is not documented in a form to pin here (and pinning a guess could
 * change what the domain serves), so the stack leaves the suites to FC and ignores their drift; the TLS versions,
 * which matter, stay explicit.
 */
export const TLS_FIELDS_FILLED_BY_FC = ['tlsConfig.cipherSuites'];

export interface CustomDomainArgs {
  /** The DNS host name, e.g. `run.example.org`; its CNAME must already point to `fcEndpoint(account, region)`. */
  domainName: string;
  /** The function every request goes to: the API. */
  functionName: pulumi.Input<string>;
  /** What must exist before FC may route to it: the API function and its HTTP trigger. */
  dependsOn?: pulumi.Resource[];
  /** The certificate: PEM chain and key, or a Certificate Management Service id. None: HTTP only. */
  tls?: CustomDomainTls;
  /** The name FC files a PEM certificate under (only with `tls.certificate`). */
  certName?: string;
}

/** `<accountId>.<region>.fc.aliyuncs.com`: FC's public endpoint, the CNAME target of every custom domain. */
export function fcEndpoint(accountId: string, region: string): string {
  return `${accountId}.${region}.fc.aliyuncs.com`;
}

/** The page's address on the domain: HTTPS when there is a certificate. */
export function pageUrl(domainName: string, https: boolean): string {
  return `${https ? 'https' : 'http'}://${domainName}/`;
}

/** Mainland China regions serve only domains with an ICP filing; Hong Kong and regions abroad need none. */
export function needsIcpFiling(region: string): boolean {
  return region.startsWith('cn-') && region !== 'cn-hongkong';
}

/** What `pulumi up` says when no custom domain is configured: how to add one, with this account's CNAME target. */
export function customDomainHint(cnameTarget: string, region: string): string {
  return [
    'No custom domain (pocketrun:customDomain): the API works on apiUrl, but on that fcapp.run address browsers download the page instead of showing it. To serve the page:',
    `  1. at your DNS provider: run.example.org CNAME ${cnameTarget} (check: dig +short CNAME run.example.org)` +
      (needsIcpFiling(region) ? `; in ${region} the domain needs an ICP filing with Alibaba Cloud` : ''),
    '  2. pulumi config set customDomain run.example.org',
    '  3. optional, for HTTPS: pulumi config set customDomainCertificate < fullchain.pem and pulumi config set --secret customDomainPrivateKey < key.pem,',
    '     or pulumi config set customDomainCertificateId <id from Certificate Management Service>',
    '  4. pulumi up; the page is then at the pageUrl output. README: "Deploy to Alibaba Cloud", "Custom domain".',
  ].join('\n');
}

export class CustomDomain extends pulumi.ComponentResource {
  readonly domain: alicloud.fc.V3CustomDomain;
  readonly domainName: string;
  /** `https://<domain>/` with a certificate, `http://<domain>/` without. */
  readonly url: string;

  constructor(name: string, args: CustomDomainArgs, opts?: pulumi.ComponentResourceOptions) {
    super('pocketrun:infra:CustomDomain', name, {}, opts);
    const where = `CustomDomain ${name}`;
    const problem = hostNameProblem(args.domainName);
    if (problem !== undefined) throw new Error(`${where}: domainName: expected a host name like run.example.org, ${problem}; got ${JSON.stringify(args.domainName)}`);
    const tls = args.tls;
    if (tls !== undefined && 'certificate' in tls) {
      // Checked here too, so a half-filled certificate fails before FC is asked (never showing the key).
      if (!tls.certificate.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`${where}: tls.certificate: expected a PEM certificate chain`);
      if (!/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(tls.privateKey)) throw new Error(`${where}: tls.privateKey: expected a PEM private key (not shown)`);
      if (!args.certName) throw new Error(`${where}: certName: required with a PEM certificate`);
    }
    if (tls !== undefined && 'certificateId' in tls && !/^\d+$/.test(tls.certificateId)) {
      throw new Error(`${where}: tls.certificateId: expected a numeric Certificate Management Service id, got ${JSON.stringify(tls.certificateId)}`);
    }

    this.domainName = args.domainName;
    this.url = pageUrl(args.domainName, tls !== undefined);
    this.domain = new alicloud.fc.V3CustomDomain(
      name,
      {
        customDomainName: args.domainName,
        // With a certificate HTTP stays on too: a typed-in address without https:// still reaches the page.
        protocol: tls === undefined ? 'HTTP' : 'HTTP,HTTPS',
        // As the HTTP trigger: anyone may reach the API, which checks its own bearer token on /api.
        authConfig: { authType: 'anonymous' },
        routeConfig: {
          routes: [{ functionName: args.functionName, qualifier: 'LATEST', path: CUSTOM_DOMAIN_PATH, methods: [...API_METHODS] }],
        },
        ...(tls !== undefined && 'certificate' in tls
          ? // The key is a secret in the state and in every preview, like the config value it came from.
            { certConfig: { certName: args.certName, certificate: tls.certificate, privateKey: pulumi.secret(tls.privateKey) } }
          : {}),
        // The provider reads the certificate and its key from Certificate Management Service and keeps the key out of the state.
        ...(tls !== undefined && 'certificateId' in tls ? { certificateId: tls.certificateId } : {}),
        ...(tls !== undefined ? { tlsConfig: { minVersion: TLS_MIN_VERSION, maxVersion: TLS_MAX_VERSION } } : {}),
      },
      { parent: this, dependsOn: args.dependsOn, ...(tls !== undefined ? { ignoreChanges: [...TLS_FIELDS_FILLED_BY_FC] } : {}) },
    );
    this.registerOutputs({ domainName: this.domainName, url: this.url });
  }
}
