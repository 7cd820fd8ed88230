/**
 * How both functions run: FC 3.0's `custom.debian10` runtime starting the bundle's `index.js` with the Node 20 that
 * the runtime ships, as an HTTP server on port 9000 (the handlers' default `PORT`).
 */
export const CUSTOM_RUNTIME = 'custom.debian10';
export const FC_PORT = 9000;
/** Required by the API even though a custom runtime never calls it. */
export const FC_HANDLER = 'index.handler';
export const NODE_BINARY = '/var/fc/lang/nodejs20/bin/node';

export function customRuntimeConfig(): { commands: string[]; args: string[]; port: number } {
  return { commands: [NODE_BINARY], args: ['index.js'], port: FC_PORT };
}

/** The environment variables a handler may be given: only names, regions, endpoints, limits and a hash. */
export function checkEnvironment(where: string, env: Record<string, unknown>): void {
  for (const key of Object.keys(env)) {
    if (/ACCESS_KEY|SECRET|PASSWORD|SECURITY_TOKEN|^ALIBABA_CLOUD_|^ALICLOUD_/i.test(key)) {
      throw new Error(`${where}: environmentVariables.${key}: credentials never go into the environment (FC supplies STS credentials)`);
    }
    if (env[key] === undefined) throw new Error(`${where}: environmentVariables.${key}: no value`);
  }
}
