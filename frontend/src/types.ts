export type OrderStatus = 'Created' | 'Finished' | 'Cancelled';
export type FailureReason = null | 'insufficient_funds' | 'account_not_found' | string;

export interface TimelineStep {
  step: string;
  at: string;
}

export interface Order {
  id: string;
  userId: string;
  amount: number;
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
  balance: number;
  createdAt: string;
  updatedAt: string;
}

export interface LedgerEntry {
  id: string;
  kind: 'deposit' | 'charge';
  amount: number;
  orderId: string | null;
  balanceAfter: number;
  createdAt: string;
}

export interface AuthResponse {
  token: string;
  userId: string;
  expiresAt: string;
}

export interface DepositResponse {
  balance: number;
  entryId: string;
}
