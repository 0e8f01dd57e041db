#!/usr/bin/env bash
# Makes a PostgreSQL cluster on this machine a streaming replica (hot standby)
# of the primary, with PostgreSQL's own tools (Debian's postgresql-common and
# pg_basebackup -R). Run as root on the replica machine:
#
#   deploy/postgresql/replica-setup.sh PRIMARY_HOST [PRIMARY_PORT] [PORT]
#
# Environment (optional): PG_VERSION (default: the one in /etc/postgresql),
# CLUSTER (default "replica"), REPLICATION_USER (default "replicator"),
# PGPASSWORD or ~postgres/.pgpass for that user's password.
#
# Before: on the primary, a role that may replicate and a pg_hba.conf line
# that lets this machine connect for replication (deploy/README.md):
#   CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '...';
#   host replication replicator <replica address>/32 scram-sha-256
#
# After: the app servers must be let in by the replica's own pg_hba.conf
# (/etc/postgresql/<version>/<cluster>/pg_hba.conf: Debian keeps it out of
# the data directory, so pg_basebackup does not copy the primary's).
#
# What it does: creates the cluster if it is missing (pg_createcluster), stops
# it, empties its data directory, copies the primary into it with
# pg_basebackup -R (which writes standby.signal and primary_conninfo, so the
# cluster starts as a standby that follows the primary), starts it and waits
# until it answers in recovery. Everything on the cluster is replaced.
# tests/deploy/test_scaleout.py and bench/scaleout.py build their replica
# with this script.
set -euo pipefail

PRIMARY_HOST=${1:?usage: replica-setup.sh PRIMARY_HOST [PRIMARY_PORT] [PORT]}
PRIMARY_PORT=${2:-5432}
PORT=${3:-5432}
PG_VERSION=${PG_VERSION:-$(ls /etc/postgresql | sort -n | tail -1)}
CLUSTER=${CLUSTER:-replica}
REPLICATION_USER=${REPLICATION_USER:-replicator}

if [ "$(id -u)" -ne 0 ]; then
  echo "replica-setup.sh: run as root (it manages a cluster as the postgres user)." >&2
  exit 2
fi

if ! pg_lsclusters -h | awk '{print $1"/"$2}' | grep -qx "$PG_VERSION/$CLUSTER"; then
  pg_createcluster "$PG_VERSION" "$CLUSTER" -p "$PORT"
fi
DATA_DIR=$(pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$CLUSTER" '$1==v && $2==c {print $6}')
pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" "$CLUSTER" stop 2>/dev/null || true

# An empty data directory, then a copy of the primary's (WAL streamed along).
find "$DATA_DIR" -mindepth 1 -delete
runuser -u postgres -- pg_basebackup \
  -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$REPLICATION_USER" \
  -D "$DATA_DIR" -R -X stream -c fast --no-password
# Reads on the standby wait for a conflicting change to be replayed for at
# most this long (a long report is cancelled rather than holding replication).
runuser -u postgres -- pg_conftool "$PG_VERSION" "$CLUSTER" set hot_standby on
runuser -u postgres -- pg_conftool "$PG_VERSION" "$CLUSTER" set max_standby_streaming_delay 30s
# The first start syncs the copied files to disk: one syncfs() per file
# system rather than an fsync() per file (minutes on a large database).
runuser -u postgres -- pg_conftool "$PG_VERSION" "$CLUSTER" set recovery_init_sync_method syncfs

# pg_ctl gives up waiting after a minute; a large copy may take longer to
# open: the loop below waits for it.
pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" "$CLUSTER" start \
  || echo "replica-setup.sh: still starting; waiting for it." >&2
# A large database takes a while to sync to disk before it opens for reads.
for _ in $(seq 1 "${WAIT_SECONDS:-900}"); do
  if [ "$(runuser -u postgres -- psql -p "$PORT" -Atc 'SELECT pg_is_in_recovery()' 2>/dev/null)" = "t" ]; then
    echo "replica-setup.sh: $PG_VERSION/$CLUSTER on port $PORT follows $PRIMARY_HOST:$PRIMARY_PORT."
    exit 0
  fi
  sleep 1
done
echo "replica-setup.sh: the cluster did not come up in recovery; see /var/log/postgresql/postgresql-$PG_VERSION-$CLUSTER.log" >&2
exit 1
