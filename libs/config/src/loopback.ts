/**
 * Whether a host name or address can only be reached from this machine:
 * `localhost`, 127.0.0.0/8, `::1` (and 127.x mapped into IPv6), in any
 * spelling the WHATWG URL parser accepts (`127.1`, `0:0:0:0:0:0:0:1`, `[::1]`).
 * Anything else, wildcards (`0.0.0.0`, `::`) and other names included, counts
 * as reachable from elsewhere.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  let hostname: string;
  try {
    // The URL parser canonicalizes every IPv4 and IPv6 spelling and lowercases names.
    hostname = new URL(`http://${bare.includes(':') ? `[${bare}]` : bare}/`).hostname;
  } catch {
    return false;
  }
  return (
    hostname === 'localhost' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname) ||
    hostname === '[::1]' ||
    /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(hostname)
  );
}

/**
 * Whether a browser's `Origin` header names a page served from this machine:
 * http or https, a loopback host (as `isLoopbackHost` judges it), any port.
 * Only an origin as browsers send it (lowercase, no path, no default port);
 * `null` and other schemes are refused.
 */
export function isLoopbackOrigin(origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return (
    (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === origin && isLoopbackHost(url.hostname)
  );
}
