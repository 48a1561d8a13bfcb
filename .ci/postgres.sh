#!/usr/bin/env bash
# Starts a local PostgreSQL (Debian's package, installed if missing) with a database for the
# registry's migration tests, and prints the JDBC URL. Fails (non-zero) if any step fails; the
# caller then runs the tests without PostgreSQL.
set -euo pipefail
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q "^$version main"; then
  pg_createcluster "$version" main >/dev/null
fi
pg_ctlcluster "$version" main start >/dev/null 2>&1 || true
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 && break
  sleep 1
done
pg_isready -q -h 127.0.0.1
su postgres -c "psql -q -v ON_ERROR_STOP=1" <<'SQL' >/dev/null
DO $$ BEGIN
  CREATE ROLE finetune LOGIN PASSWORD 'finetune';
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
SQL
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname = 'finetune_test'\"" | grep -q 1 \
  || su postgres -c "createdb -O finetune finetune_test"
echo "jdbc:postgresql://127.0.0.1:5432/finetune_test"
