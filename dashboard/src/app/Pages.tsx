import { lazy, Suspense } from 'react';
import { OverviewPage } from '../pages/overview/OverviewPage';
import { routeOf, useLocation } from './router';

// The landing page is in the first chunk; the others load when visited.
const ClustersPage = lazy(() => import('../pages/clusters/ClustersPage'));
const ClusterDetailPage = lazy(() => import('../pages/cluster-detail/ClusterDetailPage'));
const ExpensesPage = lazy(() => import('../pages/expenses/ExpensesPage'));
const AllocationPage = lazy(() => import('../pages/allocation/AllocationPage'));
const ConnectPage = lazy(() => import('../pages/connect/ConnectPage'));

export function Pages() {
  const { pathname } = useLocation();
  const route = routeOf(pathname);
  return (
    <Suspense fallback={<p className="loading">Loading…</p>}>
      {(() => {
        switch (route.page) {
          case 'overview':
            return <OverviewPage />;
          case 'clusters':
            return <ClustersPage />;
          case 'cluster':
            return <ClusterDetailPage id={route.id} />;
          case 'expenses':
            return <ExpensesPage />;
          case 'allocation':
            return <AllocationPage />;
          case 'connect':
            return <ConnectPage />;
          case 'not-found':
            return (
              <>
                <h1>Page not found</h1>
                <p>There is no page at this address. Use the navigation above.</p>
              </>
            );
          default: {
            const unreachable: never = route;
            return unreachable;
          }
        }
      })()}
    </Suspense>
  );
}
