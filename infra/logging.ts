/**
 * Where both functions' logs go: one Simple Log Service project and one logstore, with an index so the JSON lines
 * the handlers write (one per request and per run: request id, run id, language, status, durations; never code,
 * stdin or output) can be searched by field. FC ships each stdout line as the `message` field of one log; FC
 * delivers through its service-linked role (AliyunServiceRoleForFC), so the function roles need no log permission.
 */
import * as alicloud from '@pulumi/alicloud';
import * as pulumi from '@pulumi/pulumi';

export interface LoggingArgs {
  /** SLS project name: globally unique, 3..63 lowercase letters, digits and hyphens. */
  projectName: pulumi.Input<string>;
  logstoreName: string;
  retentionDays: number;
}

/** The JSON fields the handlers' log lines carry (handlers/http.ts logLine), indexed under `message`. */
export const LOG_FIELDS: Array<{ name: string; type: 'text' | 'long' | 'double' }> = [
  { name: 'event', type: 'text' },
  { name: 'requestId', type: 'text' },
  { name: 'runId', type: 'text' },
  { name: 'function', type: 'text' },
  { name: 'route', type: 'text' },
  { name: 'language', type: 'text' },
  { name: 'method', type: 'text' },
  { name: 'status', type: 'text' },
  { name: 'exitCode', type: 'long' },
  { name: 'outputBytes', type: 'long' },
  { name: 'outcome', type: 'text' },
  { name: 'ms', type: 'long' },
  { name: 'wallMs', type: 'long' },
];

export class Logging extends pulumi.ComponentResource {
  readonly project: alicloud.log.Project;
  readonly store: alicloud.log.Store;
  readonly projectName: pulumi.Output<string>;
  readonly logstoreName: pulumi.Output<string>;

  constructor(name: string, args: LoggingArgs, opts?: pulumi.ComponentResourceOptions) {
    super('pocketrun:infra:Logging', name, {}, opts);
    if (!/^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$/.test(args.logstoreName)) throw new Error(`Logging ${name}: logstoreName: expected 3..63 lowercase letters, digits, '_' or '-', got ${JSON.stringify(args.logstoreName)}`);
    if (!Number.isInteger(args.retentionDays) || args.retentionDays < 1 || args.retentionDays > 3650) {
      throw new Error(`Logging ${name}: retentionDays: expected a whole number from 1 to 3650, got ${args.retentionDays}`);
    }
    this.project = new alicloud.log.Project(
      name,
      { projectName: args.projectName, description: 'pocketrun function logs', tags: { app: 'pocketrun' } },
      { parent: this },
    );
    this.store = new alicloud.log.Store(
      name,
      {
        projectName: this.project.projectName,
        logstoreName: args.logstoreName,
        retentionPeriod: args.retentionDays,
        shardCount: 1,
        autoSplit: true,
        maxSplitShardCount: 8,
        appendMeta: true,
      },
      { parent: this },
    );
    new alicloud.log.StoreIndex(
      name,
      {
        project: this.project.projectName,
        logstore: this.store.logstoreName,
        fullText: { caseSensitive: false, includeChinese: false, token: ' ,\'";=()[]{}?@&<>/:\n\t\r' },
        fieldSearches: [
          { name: 'functionName', type: 'text', enableAnalytics: true, token: ' ,\'";=()[]{}?@&<>/:\n\t\r' },
          {
            name: 'message',
            type: 'json',
            enableAnalytics: true,
            token: ' ,\'";=()[]{}?@&<>/:\n\t\r',
            jsonKeys: LOG_FIELDS.map((f) => ({ name: f.name, type: f.type, docValue: true })),
          },
        ],
      },
      { parent: this },
    );
    this.projectName = this.project.projectName;
    this.logstoreName = this.store.logstoreName;
    this.registerOutputs({ projectName: this.projectName, logstoreName: this.logstoreName });
  }
}
