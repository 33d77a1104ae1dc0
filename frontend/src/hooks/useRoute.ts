// The address bar ↔ the open order (route.ts): opening an order pushes /orders/<id>, closing it pushes /,
// and Back/Forward reopen what was open.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { parseRoute, routePath, type Route } from '../route';

export function useRoute(): [Route, (r: Route) => void] {
  const [route, setRoute] = useState<Route>(() => parseRoute(location.pathname));

  useEffect(() => {
    // nginx serves the app on any path: an address that means nothing here becomes /.
    if (routePath(parseRoute(location.pathname)) !== location.pathname) {
      history.replaceState(history.state, '', routePath(parseRoute(location.pathname)) + location.hash);
    }
    const onPop = () => setRoute(parseRoute(location.pathname));
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);

  const navigate = useCallback((r: Route) => {
    const path = routePath(r);
    if (path !== location.pathname) history.pushState(null, '', path);
    setRoute(r);
  }, []);

  return [route, navigate];
}
