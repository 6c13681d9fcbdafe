-- 0001: the banking core (schema bank) and the seeding control tables (schema seeding).
--
-- Row-level security is ENABLED and FORCED on every table. Bank tables are visible only for the
-- dataset in app.tenant_id; seeding tables only for app.tenant/app.environment. Both settings are
-- set per transaction (set_config(..., true)); unset, they hide everything (fail closed).
-- Tables belong to seed_owner; runs write as seed_writer, which owns nothing, cannot bypass RLS
-- and cannot change policies.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'seed_owner') THEN
        CREATE ROLE seed_owner NOLOGIN BYPASSRLS;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'seed_writer') THEN
        CREATE ROLE seed_writer NOLOGIN NOBYPASSRLS;
    END IF;
END
$$;

CREATE SCHEMA bank AUTHORIZATION seed_owner;
CREATE SCHEMA seeding AUTHORIZATION seed_owner;
SET ROLE seed_owner;

-- the tenant itself: one row per tenant, environment and dataset
CREATE TABLE bank.tenants (
    id uuid NOT NULL PRIMARY KEY,
    slug text NOT NULL,
    environment text NOT NULL,
    dataset text NOT NULL,
    display_name text NOT NULL,
    created_at timestamptz NOT NULL,
    UNIQUE (slug, environment, dataset)
);
ALTER TABLE bank.tenants ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY dataset_isolation ON bank.tenants
    USING (id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- back-office users
CREATE TABLE bank.users (
    id uuid NOT NULL PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES bank.tenants (id),
    username text NOT NULL,
    full_name text NOT NULL,
    email text NOT NULL,
    role text NOT NULL,
    active boolean NOT NULL,
    created_at timestamptz NOT NULL,
    UNIQUE (tenant_id, username),
    UNIQUE (tenant_id, email)
);
CREATE INDEX users_tenant_idx ON bank.users (tenant_id);
ALTER TABLE bank.users ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY dataset_isolation ON bank.users
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- account managers
CREATE TABLE bank.consultants (
    id uuid NOT NULL PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES bank.tenants (id),
    full_name text NOT NULL,
    email text NOT NULL,
    phone text NOT NULL,
    branch_code text NOT NULL,
    hired_on date NOT NULL,
    UNIQUE (tenant_id, email)
);
CREATE INDEX consultants_tenant_idx ON bank.consultants (tenant_id);
ALTER TABLE bank.consultants ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY dataset_isolation ON bank.consultants
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- individuals (CPF) and companies (CNPJ)
CREATE TABLE bank.customers (
    id uuid NOT NULL PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES bank.tenants (id),
    consultant_id uuid REFERENCES bank.consultants (id),
    person_type text NOT NULL,
    document text NOT NULL,
    full_name text NOT NULL,
    email text NOT NULL,
    phone text NOT NULL,
    birth_date date,
    monthly_income numeric(15,2) NOT NULL,
    status text NOT NULL,
    created_at timestamptz NOT NULL,
    UNIQUE (tenant_id, document),
    UNIQUE (tenant_id, email)
);
CREATE INDEX customers_tenant_idx ON bank.customers (tenant_id);
CREATE INDEX customers_consultant_id_idx ON bank.customers (consultant_id);
ALTER TABLE bank.customers ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY dataset_isolation ON bank.customers
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- customer addresses, CEP consistent with the state
CREATE TABLE bank.addresses (
    id uuid NOT NULL PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES bank.tenants (id),
    customer_id uuid NOT NULL REFERENCES bank.customers (id),
    kind text NOT NULL,
    street text NOT NULL,
    number text NOT NULL,
    complement text,
    district text NOT NULL,
    city text NOT NULL,
    uf text NOT NULL,
    cep text NOT NULL,
    is_primary boolean NOT NULL
);
CREATE INDEX addresses_tenant_idx ON bank.addresses (tenant_id);
CREATE INDEX addresses_customer_id_idx ON bank.addresses (customer_id);
ALTER TABLE bank.addresses ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY dataset_isolation ON bank.addresses
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- per-tenant catalog of account products
CREATE TABLE bank.account_categories (
    id uuid NOT NULL PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES bank.tenants (id),
    code text NOT NULL,
    name text NOT NULL,
    account_type text NOT NULL,
    monthly_fee numeric(15,2) NOT NULL,
    UNIQUE (tenant_id, code)
);
CREATE INDEX account_categories_tenant_idx ON bank.account_categories (tenant_id);
ALTER TABLE bank.account_categories ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY dataset_isolation ON bank.account_categories
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- per-tenant catalog of payees of boletos
CREATE TABLE bank.suppliers (
    id uuid NOT NULL PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES bank.tenants (id),
    document text NOT NULL,
    legal_name text NOT NULL,
    segment text NOT NULL,
    created_at timestamptz NOT NULL,
    UNIQUE (tenant_id, document)
);
CREATE INDEX suppliers_tenant_idx ON bank.suppliers (tenant_id);
ALTER TABLE bank.suppliers ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY dataset_isolation ON bank.suppliers
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- checking and savings accounts
CREATE TABLE bank.bank_accounts (
    id uuid NOT NULL PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES bank.tenants (id),
    customer_id uuid NOT NULL REFERENCES bank.customers (id),
    category_id uuid NOT NULL REFERENCES bank.account_categories (id),
    agency text NOT NULL,
    account_number text NOT NULL,
    status text NOT NULL,
    balance numeric(15,2) NOT NULL,
    opened_at timestamptz NOT NULL,
    UNIQUE (tenant_id, account_number)
);
CREATE INDEX bank_accounts_tenant_idx ON bank.bank_accounts (tenant_id);
CREATE INDEX bank_accounts_customer_id_idx ON bank.bank_accounts (customer_id);
CREATE INDEX bank_accounts_category_id_idx ON bank.bank_accounts (category_id);
ALTER TABLE bank.bank_accounts ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY dataset_isolation ON bank.bank_accounts
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- Price or SAC loans with IOF and CET
CREATE TABLE bank.loans (
    id uuid NOT NULL PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES bank.tenants (id),
    customer_id uuid NOT NULL REFERENCES bank.customers (id),
    account_id uuid NOT NULL REFERENCES bank.bank_accounts (id),
    amortization text NOT NULL,
    principal numeric(15,2) NOT NULL,
    monthly_rate numeric(12,8) NOT NULL,
    term_months integer NOT NULL,
    iof numeric(15,2) NOT NULL,
    cet_monthly numeric(12,8) NOT NULL,
    cet_annual numeric(12,8) NOT NULL,
    status text NOT NULL,
    contracted_on date NOT NULL,
    first_due_on date NOT NULL
);
CREATE INDEX loans_tenant_idx ON bank.loans (tenant_id);
CREATE INDEX loans_customer_id_idx ON bank.loans (customer_id);
CREATE INDEX loans_account_id_idx ON bank.loans (account_id);
ALTER TABLE bank.loans ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY dataset_isolation ON bank.loans
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- loan installments; their number derives from the loans (cap is an upper bound)
CREATE TABLE bank.installments (
    id uuid NOT NULL PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES bank.tenants (id),
    loan_id uuid NOT NULL REFERENCES bank.loans (id),
    number integer NOT NULL,
    due_on date NOT NULL,
    principal numeric(15,2) NOT NULL,
    interest numeric(15,2) NOT NULL,
    payment numeric(15,2) NOT NULL,
    balance numeric(15,2) NOT NULL,
    status text NOT NULL
);
CREATE INDEX installments_tenant_idx ON bank.installments (tenant_id);
CREATE INDEX installments_loan_id_idx ON bank.installments (loan_id);
ALTER TABLE bank.installments ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY dataset_isolation ON bank.installments
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- PIX, TED, boleto and card movements
CREATE TABLE bank.financial_transactions (
    id uuid NOT NULL PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES bank.tenants (id),
    account_id uuid NOT NULL REFERENCES bank.bank_accounts (id),
    supplier_id uuid REFERENCES bank.suppliers (id),
    channel text NOT NULL,
    direction text NOT NULL,
    amount numeric(15,2) NOT NULL,
    occurred_at timestamptz NOT NULL,
    description text NOT NULL,
    reference text NOT NULL,
    UNIQUE (tenant_id, reference)
);
CREATE INDEX financial_transactions_tenant_idx ON bank.financial_transactions (tenant_id);
CREATE INDEX financial_transactions_account_id_idx ON bank.financial_transactions (account_id);
CREATE INDEX financial_transactions_supplier_id_idx ON bank.financial_transactions (supplier_id);
ALTER TABLE bank.financial_transactions ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY dataset_isolation ON bank.financial_transactions
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- one credit limit per account
CREATE TABLE bank.credit_limits (
    id uuid NOT NULL PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES bank.tenants (id),
    account_id uuid NOT NULL REFERENCES bank.bank_accounts (id),
    limit_amount numeric(15,2) NOT NULL,
    used_amount numeric(15,2) NOT NULL,
    status text NOT NULL,
    valid_from date NOT NULL,
    valid_until date NOT NULL,
    UNIQUE (tenant_id, account_id)
);
CREATE INDEX credit_limits_tenant_idx ON bank.credit_limits (tenant_id);
ALTER TABLE bank.credit_limits ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY dataset_isolation ON bank.credit_limits
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- signed contracts
CREATE TABLE bank.contracts (
    id uuid NOT NULL PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES bank.tenants (id),
    customer_id uuid NOT NULL REFERENCES bank.customers (id),
    number text NOT NULL,
    kind text NOT NULL,
    status text NOT NULL,
    signed_at timestamptz NOT NULL,
    amount numeric(15,2),
    UNIQUE (tenant_id, number)
);
CREATE INDEX contracts_tenant_idx ON bank.contracts (tenant_id);
CREATE INDEX contracts_customer_id_idx ON bank.contracts (customer_id);
ALTER TABLE bank.contracts ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY dataset_isolation ON bank.contracts
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- One row per dataset of a tenant in an environment (baseline, carga, dr): what it was seeded from.
CREATE TABLE seeding.datasets (
    dataset_id uuid PRIMARY KEY,
    tenant text NOT NULL,
    environment text NOT NULL,
    dataset text NOT NULL CHECK (dataset IN ('baseline', 'carga', 'dr')),
    manifest_hash text NOT NULL,
    profile_version text NOT NULL,
    reference_datetime timestamptz NOT NULL,
    salt_version text NOT NULL,
    generator_version text NOT NULL,
    batch_rows integer NOT NULL CHECK (batch_rows > 0),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    UNIQUE (tenant, environment, dataset)
);

-- Checkpoints: one row per committed batch, written in the batch's own transaction.
CREATE TABLE seeding.batches (
    dataset_id uuid NOT NULL REFERENCES seeding.datasets (dataset_id) ON DELETE CASCADE,
    tenant text NOT NULL,
    environment text NOT NULL,
    table_name text NOT NULL,
    first_row bigint NOT NULL CHECK (first_row >= 0),
    stop_row bigint NOT NULL CHECK (stop_row > first_row),
    rows bigint NOT NULL,
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    reference_datetime timestamptz NOT NULL,
    salt_version text NOT NULL,
    manifest_hash text NOT NULL,
    generator_version text NOT NULL,
    run_id uuid NOT NULL,
    committed_at timestamptz NOT NULL,
    PRIMARY KEY (dataset_id, table_name, first_row)
);

CREATE TABLE seeding.runs (
    run_id uuid PRIMARY KEY,
    tenant text NOT NULL,
    environment text NOT NULL,
    mode text NOT NULL,
    manifest_hash text NOT NULL,
    idempotency_key text NOT NULL,
    requested_by text NOT NULL,
    dry_run boolean NOT NULL,
    status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    exit_code integer,
    reason text,
    started_at timestamptz NOT NULL,
    finished_at timestamptz,
    summary jsonb
);

-- Idempotency-Key semantics: the same key and manifest hash within 24 h return the earlier result.
CREATE TABLE seeding.idempotency_keys (
    tenant text NOT NULL,
    environment text NOT NULL,
    key text NOT NULL,
    manifest_hash text NOT NULL,
    run_id uuid NOT NULL,
    result jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (tenant, environment, key)
);

-- Where each run's signed report lives in WORM storage, once verified.
CREATE TABLE seeding.reports_index (
    run_id uuid PRIMARY KEY,
    tenant text NOT NULL,
    environment text NOT NULL,
    uri text NOT NULL,
    sha256 text NOT NULL,
    version_id text,
    retain_until timestamptz,
    verified boolean NOT NULL,
    created_at timestamptz NOT NULL
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['datasets', 'batches', 'runs', 'idempotency_keys', 'reports_index'] LOOP
        EXECUTE format('ALTER TABLE seeding.%I ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON seeding.%I '
            'USING (tenant = current_setting(''app.tenant'', true) '
            'AND environment = current_setting(''app.environment'', true)) '
            'WITH CHECK (tenant = current_setting(''app.tenant'', true) '
            'AND environment = current_setting(''app.environment'', true))', t);
    END LOOP;
END
$$;

-- The TTL purge must find expired datasets of every tenant; the writer cannot (RLS). This one
-- definer function, owned by seed_owner, lists them; deleting still happens under RLS, dataset by
-- dataset.
CREATE FUNCTION seeding.expired_datasets(at timestamptz)
RETURNS TABLE (dataset_id uuid, tenant text, environment text, dataset text, expires_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, seeding AS $$
    SELECT d.dataset_id, d.tenant, d.environment, d.dataset, d.expires_at
    FROM seeding.datasets AS d
    WHERE d.expires_at <= at
    ORDER BY d.expires_at
$$;

RESET ROLE;

GRANT USAGE ON SCHEMA bank, seeding TO seed_writer;
GRANT SELECT, INSERT, DELETE ON ALL TABLES IN SCHEMA bank TO seed_writer;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA seeding TO seed_writer;
REVOKE ALL ON FUNCTION seeding.expired_datasets(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION seeding.expired_datasets(timestamptz) TO seed_writer;
