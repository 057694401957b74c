import { useLocation } from '../app/router';
import { rangeFromSearch, type DayRange } from './range';

/** The page's range, from the URL (the default when it has none). */
export function useRange(): DayRange {
  const { search } = useLocation();
  const { from, to } = rangeFromSearch(search);
  return { from, to };
}
