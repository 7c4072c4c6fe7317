/**
 * The key under which per-address caps count a client: its IPv4 address
 * (IPv4-mapped IPv6 included), or the /64 prefix of its IPv6 address, since one
 * IPv6 host usually holds a whole /64 and could otherwise rotate addresses
 * freely. The socket's peer address is used, never a forwarded header (which a
 * client writes itself).
 */
import { isIPv4, isIPv6 } from 'node:net';

export function clientAddressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] && isIPv4(mapped[1])) return mapped[1];
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
