import net from 'node:net';

let applied = false;

/**
 * Turns TCP keep-alive on once a socket is connected rather than while it connects. fetch()
 * (undici) asks for keep-alive at once, and Wine refuses the option on a socket that is still
 * connecting (libuv reports UNKNOWN and the request fails), which stops every fetch() of the
 * Windows executable under Wine. Windows accepts either order; the option takes effect the same.
 */
export function deferKeepAliveUntilConnected(): void {
  if (applied) return;
  applied = true;
  const original = net.Socket.prototype.setKeepAlive;
  net.Socket.prototype.setKeepAlive = function setKeepAlive(
    this: net.Socket,
    enable?: boolean,
    initialDelay?: number,
  ) {
    if (this.connecting) {
      this.once('connect', () => original.call(this, enable, initialDelay));
      return this;
    }
    return original.call(this, enable, initialDelay);
  };
}
