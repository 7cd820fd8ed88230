/**
 * A RAM role that one Alibaba Cloud service may assume, with exactly one custom policy of explicit actions on
 * explicit resources. Used for both function roles (trusted by `fc.aliyuncs.com`; FC hands the functions STS
 * credentials of the role, so no key is ever configured) and the OSS trigger's invocation role (trusted by
 * `oss.aliyuncs.com`).
 *
 * Refused at construction: wildcard actions (`*`, `oss:*`), a bare `*` resource, empty statements.
 */
import * as alicloud from '@pulumi/alicloud';
import * as pulumi from '@pulumi/pulumi';

export interface PolicyStatement {
  /** Explicit RAM actions, e.g. `oss:GetObject`. */
  actions: string[];
  /** ARNs, e.g. `acs:oss:*:<account>:<bucket>/runs/*`. */
  resources: pulumi.Input<string>[];
}

export interface ServiceRoleArgs {
  /** Physical role name (1..64: letters, digits, `.`, `-`). The policy is named `<roleName>-policy`. */
  roleName: string;
  /** The service principal allowed to assume the role, e.g. `fc.aliyuncs.com`. */
  trustedService: 'fc.aliyuncs.com' | 'oss.aliyuncs.com';
  description: string;
  statements: PolicyStatement[];
}

/** `{"Version":"1","Statement":[…]}` with plain strings: what the policy resource receives. */
export function policyDocument(statements: Array<{ actions: string[]; resources: string[] }>): string {
  return JSON.stringify({
    Version: '1',
    Statement: statements.map((s) => ({ Effect: 'Allow', Action: s.actions, Resource: s.resources })),
  });
}

export function trustPolicy(service: string): string {
  return JSON.stringify({
    Version: '1',
    Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: [service] } }],
  });
}

const ROLE_NAME = /^[A-Za-z0-9.-]{1,64}$/;
const ACTION = /^[a-z]+:[A-Za-z]+$/;

function checkResource(where: string, resource: string): void {
  if (resource === '*' || !resource.startsWith('acs:')) throw new Error(`${where}: expected an explicit acs: ARN, got ${JSON.stringify(resource)}`);
}

export class ServiceRole extends pulumi.ComponentResource {
  readonly role: alicloud.ram.Role;
  readonly policy: alicloud.ram.Policy;
  readonly attachment: alicloud.ram.RolePolicyAttachment;
  readonly roleName: pulumi.Output<string>;
  /** `acs:ram::<account>:role/<name>`: what a function's `role` or a trigger's `invocationRole` takes. */
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: ServiceRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super('pocketrun:infra:ServiceRole', name, {}, opts);
    const where = `ServiceRole ${name}`;
    if (!ROLE_NAME.test(args.roleName)) throw new Error(`${where}: roleName: expected 1..64 letters, digits, '.' or '-', got ${JSON.stringify(args.roleName)}`);
    if (`${args.roleName}-policy`.length > 128) throw new Error(`${where}: roleName: too long to derive the policy name`);
    if (args.statements.length === 0) throw new Error(`${where}: statements: at least one statement is required`);
    args.statements.forEach((s, i) => {
      if (s.actions.length === 0) throw new Error(`${where}: statements[${i}].actions: at least one action is required`);
      for (const action of s.actions) {
        if (!ACTION.test(action)) throw new Error(`${where}: statements[${i}].actions: ${JSON.stringify(action)} is not one explicit action (no wildcards)`);
      }
      if (s.resources.length === 0) throw new Error(`${where}: statements[${i}].resources: at least one resource is required`);
      for (const resource of s.resources) if (typeof resource === 'string') checkResource(`${where}: statements[${i}].resources`, resource);
    });

    this.role = new alicloud.ram.Role(
      name,
      {
        roleName: args.roleName,
        description: args.description,
        assumeRolePolicyDocument: trustPolicy(args.trustedService),
        maxSessionDuration: 3600,
        // Delete even if something outside the stack attached a policy: teardown after a contest must not stick.
        force: true,
      },
      { parent: this },
    );

    const document = pulumi
      .all(args.statements.map((s) => pulumi.all(s.resources)))
      .apply((resolved) => {
        const statements = args.statements.map((s, i) => ({ actions: s.actions, resources: resolved[i] }));
        statements.forEach((s, i) => s.resources.forEach((r) => checkResource(`${where}: statements[${i}].resources`, r)));
        return policyDocument(statements);
      });
    this.policy = new alicloud.ram.Policy(
      name,
      {
        policyName: `${args.roleName}-policy`,
        description: `${args.description} (pocketrun)`,
        policyDocument: document,
        // Each update makes a policy version and RAM keeps at most 5: drop the oldest rather than fail the update.
        rotateStrategy: 'DeleteOldestNonDefaultVersionWhenLimitExceeded',
        force: true,
      },
      { parent: this },
    );
    this.attachment = new alicloud.ram.RolePolicyAttachment(
      name,
      { roleName: this.role.roleName, policyName: this.policy.policyName, policyType: 'Custom' },
      { parent: this },
    );
    this.roleName = this.role.roleName;
    this.arn = this.role.arn;
    this.registerOutputs({ roleName: this.roleName, arn: this.arn });
  }
}
