#!/usr/bin/env bash
# Builds the test images as one OCI image layout from the Debian packages installed on this
# machine (no network, no debootstrap): host binaries plus the shared libraries ldd finds are
# copied into a root filesystem per layer.
#
#   busybox       busybox-static with its applets; the base layer of every other image
#   postgresql    PostgreSQL 15 server; initdb on first start with POSTGRES_PASSWORD (scram),
#                 listens on *, accepts password logins from any address, runs as uid 999
#   redis         redis-server, protected mode off, no persistence, runs as uid 998
#   gitlab-probe  waits for PostgreSQL (pg_isready -h $DB_HOST, DB_TRIES x 1 s) and Redis
#                 (PING on $REDIS_HOST:6379, REDIS_TRIES x 1 s) like GitLab's entrypoint, exits
#                 1 naming what never answered; then serves HTTP on 80 (GET /-/liveness -> 200)
#                 and an SSH-like banner on 22. `probe-health off` (exec) makes /-/liveness 404.
#   bench-large   (only with --large) ~130 MB compressed in 5 layers, ~12,000 files: the pull
#                 benchmark's image.
#
# Layers are gzip tars with fixed metadata (sorted names, mtime 0, numeric owners, no atime/ctime),
# so the same inputs give the same digests. The output is cached in
#   ${APPLIANCE_TEST_IMAGES_CACHE:-/var/cache/appliance-test-images}/<key>/oci
# where <key> hashes this script and the versions of the packages it copies from; a warm run
# only prints the directory. The last line on stdout is always that directory; skopeo reads the
# images from it as oci:DIR/oci:NAME (tag = image name).
#
# Usage: tests/images/build.sh [--large] [--force]
set -euo pipefail

script=$(readlink -f "$0")
large=0
force=0
for arg in "$@"; do
  case "$arg" in
    --large) large=1 ;;
    --force) force=1 ;;
    *) echo "build.sh: unknown option '$arg' (use --large, --force)" >&2; exit 2 ;;
  esac
done

packages="busybox-static postgresql-15 libpq5 redis-server"
versions=$(dpkg-query -W -f '${Package}=${Version}\n' $packages 2>/dev/null) || {
  echo "build.sh: needs the Debian packages: $packages (apt-get install -y busybox-static postgresql redis-server)" >&2
  exit 1
}
key=$( { sha256sum "$script" | cut -d' ' -f1; echo "$versions"; uname -m; } | sha256sum | cut -c1-16)
cache_root=${APPLIANCE_TEST_IMAGES_CACHE:-/var/cache/appliance-test-images}
out="$cache_root/$key"
mkdir -p "$cache_root"

# One build at a time (test projects and the bench may start together).
exec 9>"$cache_root/.lock"
flock 9

want_done() {
  [ -f "$out/oci/.complete-small" ] && { [ "$large" = 0 ] || [ -f "$out/oci/.complete-large" ]; }
}
if [ "$force" = 0 ] && want_done; then
  echo "$out"
  exit 0
fi
if [ "$force" = 1 ]; then rm -rf "$out"; fi

layout="$out/oci"
mkdir -p "$layout/blobs/sha256"
work=$(mktemp -d "$cache_root/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
printf '{"imageLayoutVersion":"1.0.0"}' > "$layout/oci-layout"
[ -f "$layout/index.json.lines" ] || : > "$layout/index.json.lines"

# --- helpers -------------------------------------------------------------------------------

# put_blob FILE MEDIATYPE -> prints a descriptor JSON; moves FILE into the layout.
put_blob() {
  local file=$1 media=$2 digest size
  digest=$(sha256sum "$file" | cut -d' ' -f1)
  size=$(stat -c %s "$file")
  mv -f "$file" "$layout/blobs/sha256/$digest"
  printf '{"mediaType":"%s","digest":"sha256:%s","size":%s}' "$media" "$digest" "$size"
}

# make_layer DIR [GZIP_LEVEL] -> sets LAYER_DESC and LAYER_DIFFID.
make_layer() {
  local dir=$1 level=${2:-6} tarfile="$work/layer.tar"
  # Entry names without a leading "./", sorted; fixed times; numeric owners as staged.
  (cd "$dir" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' | LC_ALL=C sort > "$work/top")
  tar --create --file="$tarfile" --directory="$dir" --sort=name --mtime=@0 --numeric-owner \
    --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    --files-from="$work/top"
  LAYER_DIFFID="sha256:$(sha256sum "$tarfile" | cut -d' ' -f1)"
  gzip -n "-$level" -c "$tarfile" > "$work/layer.tar.gz"
  rm -f "$tarfile"
  LAYER_DESC=$(put_blob "$work/layer.tar.gz" application/vnd.oci.image.layer.v1.tar+gzip)
}

# write_image NAME CONFIG_JSON(the "config" object) LAYER_DESCS DIFF_IDS(JSON arrays' insides)
write_image() {
  local name=$1 config=$2 layers=$3 diffids=$4 cfgdesc mdesc
  printf '{"created":"1970-01-01T00:00:00Z","architecture":"amd64","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":[%s]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"tests/images/build.sh %s"}]}' \
    "$config" "$diffids" "$name" > "$work/config.json"
  cfgdesc=$(put_blob "$work/config.json" application/vnd.oci.image.config.v1+json)
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":%s,"layers":[%s]}' \
    "$cfgdesc" "$layers" > "$work/manifest.json"
  mdesc=$(put_blob "$work/manifest.json" application/vnd.oci.image.manifest.v1+json)
  # index entry with the tag as ref name; replace an older entry of the same name
  grep -v "\"org.opencontainers.image.ref.name\":\"$name\"" "$layout/index.json.lines" > "$work/lines" || true
  printf '%s\n' "${mdesc%\}},\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"},\"annotations\":{\"org.opencontainers.image.ref.name\":\"$name\"}}" >> "$work/lines"
  mv "$work/lines" "$layout/index.json.lines"
  { printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":['
    paste -sd, "$layout/index.json.lines"
    printf ']}'; } > "$layout/index.json"
}

# copy_with_libs ROOT FILE... : copies host files (dereferenced) and the shared libraries ldd
# lists for them to the same paths under ROOT (libraries under /usr/lib: /lib is a link).
copy_with_libs() {
  local root=$1; shift
  local f lib
  for f in "$@"; do
    mkdir -p "$root$(dirname "$f")"
    cp -L --preserve=mode "$f" "$root$f"
    ldd "$f" 2>/dev/null | awk '/=> \//{print $3} /^\t\/[^ ]+ \(/{print $1}' | while read -r lib; do
      local dest="/usr${lib#/usr}"
      case "$lib" in /lib64/*) dest="/usr/lib64/${lib#/lib64/}" ;; esac
      if [ ! -e "$root$dest" ]; then
        mkdir -p "$root$(dirname "$dest")"
        cp -L --preserve=mode "$lib" "$root$dest"
      fi
    done
  done
}

stage() { rm -rf "$work/$1"; mkdir -p "$work/$1"; echo "$work/$1"; }

finish_stage() { chown -R 0:0 "$1"; }

# --- busybox: the base layer ---------------------------------------------------------------
base=$(stage base)
mkdir -p "$base/usr/bin" "$base/usr/sbin" "$base/usr/lib" "$base/usr/lib64" "$base/etc" \
  "$base/tmp" "$base/root" "$base/var/tmp" "$base/proc" "$base/sys" "$base/dev" "$base/run" "$base/home"
ln -s usr/bin "$base/bin"; ln -s usr/sbin "$base/sbin"; ln -s usr/lib "$base/lib"; ln -s usr/lib64 "$base/lib64"
cp /bin/busybox "$base/usr/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ -e "$base/usr/bin/$applet" ] || ln -s busybox "$base/usr/bin/$applet"
done
cat > "$base/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
postgres:x:999:999:PostgreSQL:/var/lib/postgresql:/bin/sh
redis:x:998:998:Redis:/var/lib/redis:/bin/sh
probe:x:997:997:gitlab-probe:/home/probe:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat > "$base/etc/group" <<'EOF'
root:x:0:
postgres:x:999:
redis:x:998:
probe:x:997:
nogroup:x:65534:
EOF
printf 'hosts: files dns\npasswd: files\ngroup: files\n' > "$base/etc/nsswitch.conf"
: > "$base/etc/hosts"; : > "$base/etc/resolv.conf"; echo appliance-test > "$base/etc/hostname"
finish_stage "$base"
chmod 1777 "$base/tmp" "$base/var/tmp"
make_layer "$base"
base_desc=$LAYER_DESC base_diff=$LAYER_DIFFID

image_config() { # ENTRYPOINT CMD ENV PORTS USER WORKDIR (JSON pieces)
  printf '{"Entrypoint":%s,"Cmd":%s,"Env":%s,"ExposedPorts":%s,"User":"%s","WorkingDir":"%s"}' "$@"
}
path_env='"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"'

if [ ! -f "$layout/.complete-small" ]; then
  write_image busybox "$(image_config null '["sh"]' "[$path_env]" '{}' '' '/')" "$base_desc" "\"$base_diff\""

  # --- postgresql ------------------------------------------------------------------------
  pg=$(stage postgresql)
  pgbin=/usr/lib/postgresql/15/bin
  copy_with_libs "$pg" $pgbin/postgres $pgbin/initdb $pgbin/pg_ctl $pgbin/pg_isready $pgbin/psql \
    $(ls /usr/lib/postgresql/15/lib/*.so | grep -v llvmjit)
  mkdir -p "$pg/usr/share/postgresql" "$pg/usr/share/zoneinfo/Etc"
  cp -a /usr/share/postgresql/15 "$pg/usr/share/postgresql/15"
  cp -L /usr/share/zoneinfo/UTC "$pg/usr/share/zoneinfo/UTC"
  cp -L /usr/share/zoneinfo/Etc/UTC "$pg/usr/share/zoneinfo/Etc/UTC"
  mkdir -p "$pg/usr/local/bin" "$pg/var/lib/postgresql/data" "$pg/run/postgresql"
  for tool in postgres initdb pg_ctl pg_isready psql; do ln -s "$pgbin/$tool" "$pg/usr/local/bin/$tool"; done
  cat > "$pg/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
# Test image entrypoint: initdb on first start, then run the server in the foreground.
set -eu
PGDATA=${PGDATA:-/var/lib/postgresql/data}
user=${POSTGRES_USER:-postgres}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "postgresql: POSTGRES_PASSWORD is not set; set it to the password for user '$user'" >&2
    exit 1
  fi
  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA"
  printf '%s\n' "$POSTGRES_PASSWORD" > /tmp/.pwfile
  initdb -D "$PGDATA" -U "$user" --pwfile=/tmp/.pwfile --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C >/tmp/initdb.log 2>&1 || { cat /tmp/initdb.log >&2; rm -f /tmp/.pwfile; exit 1; }
  rm -f /tmp/.pwfile
  printf 'host all all 0.0.0.0/0 scram-sha-256\nhost all all ::/0 scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
  printf "listen_addresses = '*'\nunix_socket_directories = '/run/postgresql'\n" >> "$PGDATA/postgresql.conf"
  db=${POSTGRES_DB:-$user}
  if [ "$db" != postgres ]; then
    echo "CREATE DATABASE \"$db\" OWNER \"$user\";" | postgres --single -D "$PGDATA" postgres >/dev/null
  fi
  echo "postgresql: initialized $PGDATA (user '$user', database '$db')"
fi
exec "$@"
EOF
  chmod 755 "$pg/usr/local/bin/docker-entrypoint.sh"
  finish_stage "$pg"
  chown -R 999:999 "$pg/var/lib/postgresql" "$pg/run/postgresql"
  chmod 700 "$pg/var/lib/postgresql/data"
  make_layer "$pg"
  write_image postgresql "$(image_config '["/usr/local/bin/docker-entrypoint.sh"]' '["postgres","-D","/var/lib/postgresql/data"]' \
      "[$path_env,\"PGDATA=/var/lib/postgresql/data\",\"TZ=UTC\",\"LANG=C.UTF-8\"]" '{"5432/tcp":{}}' '999:999' '/var/lib/postgresql')" \
    "$base_desc,$LAYER_DESC" "\"$base_diff\",\"$LAYER_DIFFID\""

  # --- redis ---------------------------------------------------------------------------
  rd=$(stage redis)
  copy_with_libs "$rd" /usr/bin/redis-check-rdb /usr/bin/redis-cli
  ln -s redis-check-rdb "$rd/usr/bin/redis-server"
  mkdir -p "$rd/data"
  finish_stage "$rd"
  chown 998:998 "$rd/data"
  make_layer "$rd"
  write_image redis "$(image_config null '["redis-server","--protected-mode","no","--bind","0.0.0.0","--save","","--appendonly","no","--dir","/data"]' \
      "[$path_env]" '{"6379/tcp":{}}' '998:998' '/data')" \
    "$base_desc,$LAYER_DESC" "\"$base_diff\",\"$LAYER_DIFFID\""

  # --- gitlab-probe --------------------------------------------------------------------
  gp=$(stage gitlab-probe)
  copy_with_libs "$gp" $pgbin/pg_isready
  mkdir -p "$gp/usr/local/bin" "$gp/srv/www/-" "$gp/home/probe"
  ln -s $pgbin/pg_isready "$gp/usr/local/bin/pg_isready"
  cat > "$gp/usr/local/bin/gitlab-probe" <<'EOF'
#!/bin/sh
# Starts like GitLab's entrypoint: wait for the database and Redis with bounded tries, abort
# naming what never answered; then serve HTTP on 80 (/-/liveness) and an SSH-like banner on 22.
DB_HOST=${DB_HOST:-postgresql}
DB_PORT=${DB_PORT:-5432}
DB_TRIES=${DB_TRIES:-60}
REDIS_HOST=${REDIS_HOST:-redis}
REDIS_PORT=${REDIS_PORT:-6379}
REDIS_TRIES=${REDIS_TRIES:-60}

i=0
echo "gitlab-probe: waiting for PostgreSQL at $DB_HOST:$DB_PORT"
until pg_isready -h "$DB_HOST" -p "$DB_PORT" -t 1 >/dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -ge "$DB_TRIES" ]; then
    echo "gitlab-probe: PostgreSQL at $DB_HOST:$DB_PORT did not answer after $DB_TRIES tries; giving up" >&2
    exit 1
  fi
  sleep 1
done
echo "gitlab-probe: PostgreSQL at $DB_HOST:$DB_PORT is ready"

i=0
echo "gitlab-probe: waiting for Redis at $REDIS_HOST:$REDIS_PORT"
until printf 'PING\r\n' | timeout 2 nc "$REDIS_HOST" "$REDIS_PORT" 2>/dev/null | grep -q PONG; do
  i=$((i + 1))
  if [ "$i" -ge "$REDIS_TRIES" ]; then
    echo "gitlab-probe: Redis at $REDIS_HOST:$REDIS_PORT did not answer PING after $REDIS_TRIES tries; giving up" >&2
    exit 1
  fi
  sleep 1
done
echo "gitlab-probe: Redis at $REDIS_HOST:$REDIS_PORT is ready"

mkdir -p /tmp/www/-
echo ok > /tmp/www/-/liveness
echo "gitlab-probe: up" > /tmp/www/index.html
nc -ll -p 22 -e /usr/local/bin/ssh-banner &
echo "gitlab-probe: serving HTTP on 80 and SSH on 22"
exec httpd -f -p 80 -h /tmp/www
EOF
  cat > "$gp/usr/local/bin/ssh-banner" <<'EOF'
#!/bin/sh
echo "SSH-2.0-gitlab-probe"
EOF
  cat > "$gp/usr/local/bin/probe-health" <<'EOF'
#!/bin/sh
# probe-health off: /-/liveness answers 404 (unhealthy); probe-health on: 200 again.
case "${1:-}" in
  off) rm -f /tmp/www/-/liveness ;;
  on) mkdir -p /tmp/www/- && echo ok > /tmp/www/-/liveness ;;
  *) echo "usage: probe-health on|off" >&2; exit 2 ;;
esac
EOF
  chmod 755 "$gp/usr/local/bin/gitlab-probe" "$gp/usr/local/bin/ssh-banner" "$gp/usr/local/bin/probe-health"
  rmdir "$gp/srv/www/-" "$gp/srv/www" "$gp/srv"
  finish_stage "$gp"
  make_layer "$gp"
  write_image gitlab-probe "$(image_config '["/usr/local/bin/gitlab-probe"]' '[]' \
      "[$path_env,\"DB_HOST=postgresql\",\"DB_TRIES=60\",\"REDIS_HOST=redis\",\"REDIS_TRIES=60\"]" \
      '{"80/tcp":{},"22/tcp":{}}' '' '/')" \
    "$base_desc,$LAYER_DESC" "\"$base_diff\",\"$LAYER_DIFFID\""
  touch "$layout/.complete-small"
fi

# --- bench-large (on request) ---------------------------------------------------------------
if [ "$large" = 1 ] && [ ! -f "$layout/.complete-large" ]; then
  # Deterministic incompressible bytes: AES-CTR keystream with a fixed key.
  noise() { head -c "$1" /dev/zero | openssl enc -aes-128-ctr -nosalt -K "$2" -iv 0 2>/dev/null; }
  descs="$base_desc" diffs="\"$base_diff\""
  # many small random files (32 MB in 2,048 files of 16 KB)
  d=$(stage large1); mkdir -p "$d/opt/bench/small"
  (cd "$d/opt/bench/small" && noise $((32 << 20)) 01 | split -b 16k -a 4 -d - f)
  finish_stage "$d"; make_layer "$d" 1; descs+=",$LAYER_DESC"; diffs+=",\"$LAYER_DIFFID\""
  # a few big files (64 MB in 8 files)
  d=$(stage large2); mkdir -p "$d/opt/bench/big"
  (cd "$d/opt/bench/big" && noise $((64 << 20)) 02 | split -b 8M -a 2 -d - blob)
  finish_stage "$d"; make_layer "$d" 1; descs+=",$LAYER_DESC"; diffs+=",\"$LAYER_DIFFID\""
  # compressible text in ~9,500 files of 4 KB (no head: SIGPIPE under pipefail)
  d=$(stage large3); mkdir -p "$d/opt/bench/text"
  (cd "$d/opt/bench/text" && seq 1 5000000 | split -b 4k -a 4 -d - t)
  finish_stage "$d"; make_layer "$d" 1; descs+=",$LAYER_DESC"; diffs+=",\"$LAYER_DIFFID\""
  # one 24 MB file
  d=$(stage large4); mkdir -p "$d/opt/bench"
  noise $((24 << 20)) 04 > "$d/opt/bench/one.bin"
  finish_stage "$d"; make_layer "$d" 1; descs+=",$LAYER_DESC"; diffs+=",\"$LAYER_DIFFID\""
  write_image bench-large "$(image_config null '["sh"]' "[$path_env]" '{}' '' '/')" "$descs" "$diffs"
  touch "$layout/.complete-large"
fi

echo "$out"
