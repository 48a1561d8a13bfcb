-- Approver tokens (./finetune tokens create --approver NAME) beside the gateway's API tokens, in the
-- same table: only their SHA-256 is kept. kind tells them apart, so that a gateway token cannot
-- approve and an approver token cannot call the gateway; approver is the name an approver token
-- decides as (null for gateway tokens). Portable SQL, as in V1-V6.
ALTER TABLE api_tokens ADD COLUMN kind VARCHAR(20) DEFAULT 'gateway' NOT NULL;
ALTER TABLE api_tokens ADD COLUMN approver VARCHAR(100);
