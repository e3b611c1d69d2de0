import { BlockList, isIP } from 'node:net';
import { describeValue } from '../kratos/config';

/** Whether a peer address belongs to a configured proxy. */
export type TrustPredicate = (address: string | undefined) => boolean;

/** Loopback: the default of `trustedProxies`. */
export const LOOPBACK = ['127.0.0.0/8', '::1'] as const;

const unmapped = (address: string): string => (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? address.slice(7) : address);

/**
 * Compiles a list of IPs and CIDRs (IPv4 and IPv6; IPv4-mapped IPv6 peers match their IPv4 entry) into a
 * predicate. Problems are pushed to `problems`, naming `option`.
 *
 * @example
 * const trusted = compileTrustedProxies(['10.0.0.0/8', '::1'], 'trustedProxies', problems);
 * trusted(req.socket.remoteAddress);
 */
export function compileTrustedProxies(value: unknown, option: string, problems: string[]): TrustPredicate {
  const fix = "Use a list of IP addresses or CIDR ranges such as ['127.0.0.1', '10.0.0.0/8', '::1'].";
  if (!Array.isArray(value)) {
    problems.push(`${option}: ${describeValue(value)} is not a list. ${fix}`);
    return () => false;
  }
  const list = new BlockList();
  value.forEach((entry, i) => {
    const match = typeof entry === 'string' ? /^([^/\s]+)(?:\/(\d{1,3}))?$/.exec(entry.trim()) : null;
    const family = match ? isIP(unmapped(match[1])) : 0;
    const prefix = match?.[2] === undefined ? undefined : Number(match[2]);
    if (!match || family === 0 || (prefix !== undefined && prefix > (family === 4 ? 32 : 128))) {
      problems.push(`${option}[${i}]: ${describeValue(entry)} is not an IP address or CIDR range. ${fix}`);
      return;
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    const address = unmapped(match[1]);
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, prefix, type);
  });
  return (address) => {
    if (!address) return false;
    const plain = unmapped(address);
    const family = isIP(plain);
    return family !== 0 && list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  };
}
