// Each order has its own address, /orders/<id>: nginx already serves index.html for every path that is
// not a file (`try_files $uri $uri/ /index.html`) and the built assets are referenced from the root, so a
// reload or a shared link opens the app on that order. A path keeps the fragment free for in-page links
// (the "Skip to content" link is #main).

export interface Route {
  /** The order whose details are open, if any. */
  orderId: string | null;
}

const ORDER_PATH = /^\/orders\/([A-Za-z0-9-]{1,64})\/?$/;

export function parseRoute(pathname: string): Route {
  const m = ORDER_PATH.exec(pathname);
  return { orderId: m ? m[1]! : null };
}

export function routePath(r: Route): string {
  return r.orderId ? `/orders/${encodeURIComponent(r.orderId)}` : '/';
}
