export const CLOUD_ACCOUNT_TYPES = ['aws', 'azure', 'gcp', 'alibaba', 'oracle', 'kubernetes'] as const;
export type CloudAccountType = (typeof CLOUD_ACCOUNT_TYPES)[number];

export interface Organization {
  id: string;
  name: string;
  currency: string;
  createdAt: Date;
}

export interface CloudAccount {
  id: string;
  organizationId: string;
  name: string;
  type: CloudAccountType;
  providerAccountId: string | null;
  createdAt: Date;
  deletedAt: Date | null;
}
