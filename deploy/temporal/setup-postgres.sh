#!/bin/sh
# Creates Temporal's two databases on first start and applies pending schema versions on every
# start, so `docker compose up` also upgrades an existing volume.
set -eu
tool() { temporal-sql-tool --plugin postgres12 --ep postgresql -p 5432 -u temporal "$@"; }
schemas=/etc/temporal/schema/postgresql/v12
for db in temporal visibility; do
  name=$([ "$db" = temporal ] && echo temporal || echo temporal_visibility)
  tool --db "$name" create 2>/dev/null || echo "database $name exists"
  tool --db "$name" setup-schema -v 0.0 2>/dev/null || echo "schema of $name exists"
  tool --db "$name" update-schema -d "$schemas/$db/versioned"
done
echo "Temporal schemas are up to date"
