/**
 * How the functions reach OSS and why user programs cannot reach the internet.
 *
 * FC 3.0 gives a function three ways out: the FC default network card with internet access (`internetAccess`,
 * on by default), the FC default card without it (the Alibaba Cloud internal network only: the `-internal` OSS
 * endpoints of the same region), and a VPC of your own (`vpcConfig`). We turn `internetAccess` off and use the
 * internal OSS endpoint: nothing else is needed, no cold-start penalty (a VPC adds one), no NAT, no vSwitch zone to
 * pick. A VPC without NAT would not be stricter: with `internetAccess` on, FC still routes the internet through its
 * own card beside the VPC, so the switch that matters is `internetAccess` either way (see the README, "Network: why user programs cannot reach the internet").
 *
 * This holds whatever the sandbox can do: even where the executor cannot give the program its own network
 * namespace (`ALLOW_NETWORK=0` asks for one), the instance itself has no route to the internet.
 */

export interface FunctionNetworkArgs {
  /** Alibaba Cloud region id, e.g. `cn-hangzhou`. */
  region: string;
  /** Whether the function may reach the internet. */
  internet: boolean;
}

export interface FunctionNetwork {
  /** `internetAccess` of the function. */
  internetAccess: boolean;
  /** OSS region id as the OSS SDK wants it, e.g. `oss-cn-hangzhou`. */
  ossRegion: string;
  /** The region's internal OSS endpoint, reachable without internet access. */
  ossEndpoint: string;
}

export function functionNetwork(args: FunctionNetworkArgs): FunctionNetwork {
  if (!/^[a-z]{2,}(-[a-z0-9]+)+$/.test(args.region)) throw new Error(`functionNetwork: region: expected a region id like cn-hangzhou, got ${JSON.stringify(args.region)}`);
  return {
    internetAccess: args.internet,
    ossRegion: `oss-${args.region}`,
    ossEndpoint: `https://oss-${args.region}-internal.aliyuncs.com`,
  };
}
