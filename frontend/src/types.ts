/**
 * An integer number of kopecks as parsed from a response (see json.ts): a number while it is a safe
 * integer, a bigint beyond 2^53. Format it with money.ts; never do float arithmetic on it.
 */
export type Kopecks = number | bigint;

export type OrderStatus = 'Created' | 'Finished' | 'Cancelled';
export type FailureReason = null | 'insufficient_funds' | 'account_not_found' | string;

export interface TimelineStep {
  step: string;
  at: string;
}

export interface Order {
  id: string;
  userId: string;
  amount: Kopecks;
  description: string;
  status: OrderStatus;
  failureReason: FailureReason;
  createdAt: string;
  updatedAt: string;
  timeline: TimelineStep[];
}

export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface Account {
  userId: string;
  balance: Kopecks;
  createdAt: string;
  updatedAt: string;
}

export interface LedgerEntry {
  id: string;
  kind: 'deposit' | 'charge';
  amount: Kopecks;
  orderId: string | null;
  balanceAfter: Kopecks;
  createdAt: string;
}

export interface AuthResponse {
  token: string;
  userId: string;
  expiresAt: string;
}

export interface DepositResponse {
  balance: Kopecks;
  entryId: string;
}
