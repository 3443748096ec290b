#!/usr/bin/env bash
# A one-node Ceph cluster with radosgw as an S3 server on 127.0.0.1, for the tests and benchmarks: one monitor, one
# OSD keeping objects in memory (memstore), no authentication inside the cluster, one S3 user.
#
#   scripts/s3-server.sh start DIR      start it in DIR (created); prints the S3 settings and writes them to DIR/env
#   scripts/s3-server.sh stop DIR       stop every daemon started in DIR and delete DIR
#   scripts/s3-server.sh stop-rgw DIR   stop only radosgw (the S3 endpoint goes away; data stays in the OSD)
#   scripts/s3-server.sh start-rgw DIR  start radosgw again on the same port
#   scripts/s3-server.sh bucket DIR NAME  create bucket NAME (curl with SigV4; no AWS CLI needed)
#
# IMAGESTASH_S3_MEMORY sets the OSD's memory in bytes (default 4 GiB). Needs the Debian packages ceph-mon, ceph-osd,
# radosgw and curl (scripts/deps.sh installs them). Takes about 13 s, most of it radosgw's own start.
set -euo pipefail

command=${1:?usage: s3-server.sh start|stop|stop-rgw|start-rgw|bucket DIR [NAME]}
dir=${2:?usage: s3-server.sh $command DIR}
access_key=imagestash
secret_key=imagestash-secret

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_for_rgw() {
  local port=$1
  for _ in $(seq 1 100); do
    if curl -s -o /dev/null "http://127.0.0.1:$port/"; then return 0; fi
    sleep 0.1
  done
  echo "s3-server: radosgw did not answer on 127.0.0.1:$port; see $dir/log/" >&2
  return 1
}

start_rgw() {
  radosgw -c "$dir/ceph.conf" -n client.rgw.a
  wait_for_rgw "$(cat "$dir/rgw.port")"
}

stop_daemon() { # pid file
  [ -f "$1" ] || return 0
  local pid
  pid=$(cat "$1")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$1"
}

case "$command" in
  start)
    for tool in monmaptool ceph-mon ceph-osd radosgw radosgw-admin ceph curl; do
      command -v "$tool" >/dev/null || { echo "s3-server: $tool is missing; run 'bash scripts/deps.sh --s3'" >&2; exit 1; }
    done
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    mkdir -p "$dir/mon" "$dir/osd" "$dir/run" "$dir/log" "$dir/rgw"
    fsid=$(cat /proc/sys/kernel/random/uuid)
    mon_port=$(free_port)
    rgw_port=$(free_port)
    echo "$rgw_port" > "$dir/rgw.port"
    cat > "$dir/ceph.conf" <<EOF
[global]
fsid = $fsid
mon_initial_members = a
mon_host = v1:127.0.0.1:$mon_port
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_ipv6 = false
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
auth_allow_insecure_global_id_reclaim = true
osd_objectstore = memstore
memstore_device_bytes = ${IMAGESTASH_S3_MEMORY:-4294967296}
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 1
osd_pool_default_pgp_num = 1
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_max_pg_per_osd = 1000
run_dir = $dir/run
admin_socket = $dir/run/\$name.asok
pid_file = $dir/run/\$name.pid
log_file = $dir/log/\$name.log
[mon.a]
mon_data = $dir/mon
[osd.0]
osd_data = $dir/osd
[client.rgw.a]
rgw_frontends = beast endpoint=127.0.0.1:$rgw_port
rgw_data = $dir/rgw
EOF
    conf=(-c "$dir/ceph.conf")
    monmaptool --create --fsid "$fsid" --add a "v1:127.0.0.1:$mon_port" "$dir/monmap" >/dev/null
    ceph-mon "${conf[@]}" --mkfs -i a --monmap "$dir/monmap" 2>>"$dir/log/setup.log"
    ceph-mon "${conf[@]}" -i a 2>>"$dir/log/setup.log"
    osd_uuid=$(cat /proc/sys/kernel/random/uuid)
    ceph "${conf[@]}" --connect-timeout 20 osd create "$osd_uuid" >/dev/null
    ceph-osd "${conf[@]}" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$dir/log/setup.log" 2>&1
    # The OSD's first command to the monitor sometimes goes out before it has the cluster's id ("wrong fsid") and
    # the OSD exits: a second start gets it.
    for attempt in 1 2 3 4 5; do
      ceph-osd "${conf[@]}" -i 0 >>"$dir/log/setup.log" 2>&1 && break
      [ "$attempt" = 5 ] && { echo "s3-server: ceph-osd would not start; see $dir/log/" >&2; exit 1; }
      sleep 0.5
    done
    start_rgw
    radosgw-admin "${conf[@]}" user create --uid=imagestash --display-name=ImageStash \
      --access-key="$access_key" --secret-key="$secret_key" >/dev/null
    cat > "$dir/env" <<EOF
AWS_ENDPOINT_URL=http://127.0.0.1:$rgw_port
AWS_ACCESS_KEY_ID=$access_key
AWS_SECRET_ACCESS_KEY=$secret_key
AWS_REGION=us-east-1
EOF
    cat "$dir/env"
    ;;
  stop)
    [ -d "$dir" ] || exit 0
    for name in client.rgw.a osd.0 mon.a; do stop_daemon "$dir/run/$name.pid"; done
    rm -rf "$dir"
    ;;
  stop-rgw)
    stop_daemon "$dir/run/client.rgw.a.pid"
    ;;
  start-rgw)
    start_rgw
    ;;
  bucket)
    name=${3:?usage: s3-server.sh bucket DIR NAME}
    . "$dir/env"
    curl -sSf -X PUT -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" --aws-sigv4 "aws:amz:$AWS_REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" "$AWS_ENDPOINT_URL/$name" >/dev/null
    ;;
  *)
    echo "usage: s3-server.sh start|stop|stop-rgw|start-rgw|bucket DIR [NAME]" >&2
    exit 2
    ;;
esac
