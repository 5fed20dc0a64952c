#!/usr/bin/env bash
# A TEST TOOL (root only): an emulated cluster of N hosts on this machine, made of Linux network
# namespaces, for running SwiftDDP "across hosts" without having them (docs/operations.md has a
# worked example; ../shared/multihost.md is the probe this follows).
#
#   launch/netns-cluster.sh up N S          N hosts with S slots each; writes the hostfile
#   launch/netns-cluster.sh run ARGS...     mpirun ARGS inside the cluster (rank 0 on host 1)
#   launch/netns-cluster.sh shape RATE      limit every host's link to RATE (tc tbf), e.g. 1gbit;
#                                           "off" removes it
#   launch/netns-cluster.sh cut HOST        pull HOST's cable (its port on the switch goes down)
#   launch/netns-cluster.sh heal HOST       plug it back in
#   launch/netns-cluster.sh kill HOST [SIG] send SIG (default KILL) to HOST's swiftddp ranks
#   launch/netns-cluster.sh exec HOST CMD.. run CMD on HOST (in its network namespace)
#   launch/netns-cluster.sh status          hosts, links, shaping, processes
#   launch/netns-cluster.sh down            kill everything in the cluster and remove it
#
# HOST is a host name from the hostfile (sddp-h2) or its number (2).
#
# Topology: a "switch" namespace holds a bridge with no address; host i is namespace
# <prefix>-h<i> with eth0 = <subnet>.<i>/24, a veth whose peer is a port of the bridge. Host
# namespaces have no default route and the root namespace gets no interface, so no packet can
# leave the emulated cluster. Ranks on different hosts talk TCP through the bridge; ranks on
# the same host use shared memory.
#
# `run` starts mpirun inside host 1, with its own hostname (a UTS namespace), and makes this
# script Open MPI's launch agent in place of ssh (`--mca plm_rsh_agent "<this script> agent"`).
# It adds the settings the emulated cluster needs, each found by a failure (multihost.md):
#   --mca btl tcp,vader,self, btl/oob_tcp_if_include <subnet>.0/24   TCP between hosts only on
#                                the cluster subnet, shared memory within a host
#   --bind-to none               every host sees all the machine's cores; Open MPI's default
#                                binding would pin the first rank of every host to core 0
#   --mca mpi_yield_when_idle 1  ranks waiting in MPI give up the CPU (more ranks than cores)
#   --mca oob_tcp_keepalive_*    a cut link ends the job in about 15 s instead of about 500 s
#   --mca coll_libnbc_iallreduce_algorithm 1   ring for the 2-rank all-reduce: Open MPI's default
#                                (binomial: reduce, then broadcast) sends the gradient twice in a
#                                row, 1.7× slower on a bandwidth-bound link (docs/performance.md)
#   --mca orte_tmpdir_base       session directories inside the cluster's state directory
# and a per-host hostname, without which shared-memory segments of different hosts collide.
# ARGS may set any of these themselves (e.g. --mca coll_libnbc_iallreduce_algorithm 0, or
# --bind-to core): then the script's value is left out.
# When mpirun ends, whatever is left running in the cluster (the ranks of a host whose link was
# cut) is killed, so a failed run leaves no processes behind.
#
# Environment:
#   NC_PREFIX     names of the namespaces (default sddp: sddp-sw, sddp-h1, ...), max 10 characters
#   NC_SUBNET     first three octets of the cluster subnet (default 10.77.0)
#   NC_STATE      state directory: hostfile, session directories (default /tmp/netns-cluster-<prefix>)
#   NC_KEEPALIVE  "TIME INTERVAL PROBES" of Open MPI's out-of-band TCP keepalive, in seconds
#                 (default "10 2 3"; "off" keeps Open MPI's defaults, 300/20/9)
#   NC_CPUSETS    space-separated CPU lists, one per host (cycled), e.g. "0 1": each host's
#                 ranks run only on its CPUs (taskset), like separate machines
#   NC_LOCAL_DIR  a directory D: on host H, D/H is mounted over D, so every host has its own
#                 "local disk" at the same path (per-host data, rank 0's run directory)
# Exit status: that of mpirun for `run`; 2 for usage errors; 3 when this machine cannot do it
# (not root, no network namespaces, no tc qdisc); 77 from `check` when namespaces are unavailable.
set -euo pipefail

self="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
prefix=${NC_PREFIX:-sddp}
subnet=${NC_SUBNET:-10.77.0}
state=${NC_STATE:-${TMPDIR:-/tmp}/netns-cluster-$prefix}
switch="$prefix-sw"

die() { echo "netns-cluster: $*" >&2; exit "${2:-2}"; }
hosts() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$prefix-h[0-9]+$" | sort -V || true; }
host_name() {   # "2" or "sddp-h2" -> sddp-h2, checked
    local h=$1
    [[ $h =~ ^[0-9]+$ ]] && h="$prefix-h$h"
    ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$h" || die "no emulated host $h (run: $0 up N S)"
    echo "$h"
}
host_index() { echo "${1##*-h}"; }

# The shell prefix that makes a process "live on" host $1: its hostname, its CPUs, its local disk.
# Used for mpirun in host 1 and by the agent for the orted of every other host.
host_setup() {
    local h=$1 i cpus=""
    i=$(host_index "$h")
    if [ -n "${NC_CPUSETS:-}" ]; then
        read -r -a sets <<<"$NC_CPUSETS"
        cpus=${sets[$(( (i - 1) % ${#sets[@]} ))]}
    fi
    printf 'hostname %q;' "$h"
    if [ -n "${NC_LOCAL_DIR:-}" ]; then
        # the agent runs inside host 1's mount namespace: undo host 1's mount first (privately)
        printf 'if mountpoint -q %q; then umount %q || exit 3; fi;' "$NC_LOCAL_DIR" "$NC_LOCAL_DIR"
        printf 'mkdir -p %q && mount --bind %q %q || exit 3;' "$NC_LOCAL_DIR/$h" "$NC_LOCAL_DIR/$h" "$NC_LOCAL_DIR"
    fi
    if [ -n "$cpus" ]; then printf 'set -- taskset -c %q "$@";' "$cpus"; fi
}

# Every process in the cluster's namespaces (ranks, orteds, mpirun).
cluster_pids() {
    local ns
    for ns in $(hosts); do ip netns pids "$ns" 2>/dev/null || true; done
}

kill_cluster() {
    local pids
    pids=$(cluster_pids | grep -v -x "$$" || true)
    [ -z "$pids" ] && return 0
    # shellcheck disable=SC2086
    kill -9 $pids 2>/dev/null || true
    # wait (briefly) until they are gone, so namespaces and shared memory can be removed
    for _ in $(seq 50); do
        pids=$(cluster_pids | grep -v -x "$$" || true)
        [ -z "$pids" ] && return 0
        sleep 0.1
    done
}

cmd_down() {
    kill_cluster
    local ns
    for ns in $(hosts); do ip netns del "$ns" 2>/dev/null || true; done
    ip netns del "$switch" 2>/dev/null || true
    # shared-memory segments of killed ranks carry the host name
    rm -f /dev/shm/vader_segment."$prefix"-h* 2>/dev/null || true
    # only what this script put into the state directory (NC_STATE may be any directory)
    rm -rf "$state/tmp" "$state/hostfile"
    rmdir "$state" 2>/dev/null || true
}

cmd_check() {
    [ "$(id -u)" -eq 0 ] || { echo "netns-cluster: needs root (network namespaces, veth, tc)" >&2; exit 77; }
    command -v ip >/dev/null || { echo "netns-cluster: needs iproute2 (ip)" >&2; exit 77; }
    local probe="$prefix-probe$$"
    ip netns add "$probe" 2>/dev/null || { echo "netns-cluster: cannot create a network namespace here" >&2; exit 77; }
    if ! ip -n "$probe" link add p0 type veth peer name p1 2>/dev/null; then
        ip netns del "$probe"; echo "netns-cluster: cannot create veth pairs here" >&2; exit 77
    fi
    if ! ip netns exec "$probe" unshare --uts --mount true 2>/dev/null; then
        ip netns del "$probe"; echo "netns-cluster: cannot create UTS/mount namespaces here" >&2; exit 77
    fi
    ip netns del "$probe"
    echo "netns-cluster: network namespaces, veth and UTS namespaces work"
}

cmd_up() {
    [ $# -eq 2 ] && [[ $1 =~ ^[1-9][0-9]*$ ]] && [[ $2 =~ ^[1-9][0-9]*$ ]] || die "usage: $0 up N S (N hosts, S slots each)"
    local n=$1 s=$2 i h
    [ "$n" -le 250 ] || die "at most 250 hosts"
    [ "${#prefix}" -le 10 ] || die "NC_PREFIX is at most 10 characters, got $prefix"
    [ "$(id -u)" -eq 0 ] || die "up needs root" 3
    cmd_down   # a cluster of the same prefix left behind by a killed run
    mkdir -p "$state/tmp"
    trap 'cmd_down' ERR
    ip netns add "$switch"
    ip -n "$switch" link set lo up
    ip -n "$switch" link add br0 type bridge
    ip -n "$switch" link set br0 up
    : >"$state/hostfile"
    for i in $(seq "$n"); do
        h="$prefix-h$i"
        ip netns add "$h"
        ip -n "$h" link set lo up
        ip -n "$switch" link add "vh$i" type veth peer name eth0 netns "$h"
        ip -n "$switch" link set "vh$i" master br0 up
        ip -n "$h" addr add "$subnet.$i/24" dev eth0
        ip -n "$h" link set eth0 up
        echo "$h slots=$s" >>"$state/hostfile"
    done
    trap - ERR
    echo "netns-cluster: $n host(s) × $s slot(s) on $subnet.0/24; hostfile $state/hostfile"
}

cmd_run() {
    local first h
    first=$(hosts | head -1)
    [ -n "$first" ] || die "no cluster (run: $0 up N S)"
    [ -f "$state/hostfile" ] || die "no hostfile in $state (NC_STATE differs from the one used by up?)"
    # the settings of the header; one that ARGS give themselves (--mca NAME VALUE) is left out,
    # since Open MPI refuses a parameter given twice
    local settings=()
    add() {
        local arg
        for arg in "${args[@]}"; do [ "$arg" = "$1" ] && return 0; done
        settings+=(--mca "$1" "$2")
    }
    local args=("$@")
    [[ " $* " == *" --bind-to "* ]] || settings+=(--bind-to none)
    add plm_rsh_agent "$self agent"
    add btl tcp,vader,self
    add btl_tcp_if_include "$subnet.0/24"
    add oob_tcp_if_include "$subnet.0/24"
    add mpi_yield_when_idle 1
    add coll_libnbc_iallreduce_algorithm 1
    add orte_tmpdir_base "$state/tmp"
    local ka=${NC_KEEPALIVE:-10 2 3}
    if [ "$ka" != "off" ]; then
        read -r time interval probes <<<"$ka"
        add oob_tcp_keepalive_time "$time"
        add oob_tcp_keepalive_intvl "$interval"
        add oob_tcp_keepalive_probes "$probes"
    fi
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    # whatever is still running in the cluster when mpirun ends or this script is stopped
    trap 'kill_cluster' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    local status=0
    ip netns exec "$first" unshare --uts --mount sh -c "$(host_setup "$first") exec \"\$@\"" sh \
        mpirun --hostfile "$state/hostfile" "${settings[@]}" "$@" || status=$?
    return "$status"
}

# Open MPI calls this in place of ssh: `agent HOST WORDS...`, WORDS quoted for a remote shell.
cmd_agent() {
    local h=$1
    shift
    exec ip netns exec "$h" unshare --uts --mount sh -c "$(host_setup "$h") exec \"\$@\"" sh sh -c "$*"
}

# tbf needs a bucket of at least one timer tick of data at the rate; 256 KiB at least.
rate_bytes_per_second() {
    local rate=$1 number unit
    [[ $rate =~ ^([0-9]+)(bit|kbit|mbit|gbit)$ ]] || die "RATE is a number with bit, kbit, mbit or gbit, e.g. 1gbit; got $rate"
    number=${BASH_REMATCH[1]}; unit=${BASH_REMATCH[2]}
    case $unit in
        bit) echo $(( number / 8 )) ;;
        kbit) echo $(( number * 1000 / 8 )) ;;
        mbit) echo $(( number * 1000000 / 8 )) ;;
        gbit) echo $(( number * 1000000000 / 8 )) ;;
    esac
}

cmd_shape() {
    [ $# -ge 1 ] || die "usage: $0 shape RATE|off"
    local rate=$1 h
    for h in $(hosts); do
        tc -n "$h" qdisc del dev eth0 root 2>/dev/null || true
    done
    [ "$rate" = off ] && { echo "netns-cluster: links unshaped"; return; }
    local bytes burst
    bytes=$(rate_bytes_per_second "$rate")
    burst=$(( bytes / 250 ))
    [ "$burst" -lt 262144 ] && burst=262144
    for h in $(hosts); do
        # each host's egress: both directions of every host-to-host path are limited
        tc -n "$h" qdisc add dev eth0 root tbf rate "$rate" burst "$burst" latency 200ms \
            || die "tc tbf failed on $h (is sch_tbf in this kernel?)" 3
    done
    echo "netns-cluster: every host's link limited to $rate (tbf, burst $burst bytes)"
}

cmd_link() {
    local updown=$1 h i other
    h=$(host_name "$2")
    i=$(host_index "$h")
    ip -n "$switch" link set "vh$i" "$updown"
    if [ "$updown" = up ]; then
        # forget address resolutions that failed or are still being retried while the link was
        # cut: otherwise the first connection after healing can fail with "no route to host"
        # when the last retry of a stale resolution runs out
        for other in $(hosts); do ip -n "$other" neigh flush all 2>/dev/null || true; done
    fi
    echo "netns-cluster: $h's link is $( [ "$updown" = up ] && echo up || echo cut )"
}

cmd_kill() {
    local h signal=${2:-KILL} pids="" pid
    h=$(host_name "$1")
    for pid in $(ip netns pids "$h"); do
        # the ranks: processes of the swiftddp binaries (not orted, not mpirun)
        if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | awk '{print $1}' | grep -q 'swiftddp[^/]*$'; then
            pids="$pids $pid"
        fi
    done
    [ -n "$pids" ] || die "no swiftddp process on $h" 1
    # shellcheck disable=SC2086
    kill -s "$signal" $pids
    echo "netns-cluster: sent SIG$signal to$pids on $h"
}

cmd_status() {
    local h
    for h in $(hosts); do
        echo "$h: $(ip -n "$h" -br addr show eth0 | awk '{print $2, $3}') | $(tc -n "$h" qdisc show dev eth0 | head -1)" \
            "| port $(ip -n "$switch" -br link show "vh$(host_index "$h")" | awk '{print $2}')" \
            "| $(ip netns pids "$h" | wc -l) process(es)"
    done
}

[ $# -ge 1 ] || die "usage: $0 check|up N S|run ARGS...|shape RATE|cut HOST|heal HOST|kill HOST [SIG]|exec HOST CMD...|status|down"
command=$1
shift
case $command in
    check) cmd_check ;;
    up) cmd_up "$@" ;;
    run) cmd_run "$@" ;;
    agent) cmd_agent "$@" ;;
    shape) cmd_shape "$@" ;;
    cut) [ $# -eq 1 ] || die "usage: $0 cut HOST"; cmd_link down "$1" ;;
    heal) [ $# -eq 1 ] || die "usage: $0 heal HOST"; cmd_link up "$1" ;;
    kill) [ $# -ge 1 ] || die "usage: $0 kill HOST [SIGNAL]"; cmd_kill "$@" ;;
    exec) [ $# -ge 2 ] || die "usage: $0 exec HOST CMD..."; h=$(host_name "$1"); shift; exec ip netns exec "$h" "$@" ;;
    status) cmd_status ;;
    down) cmd_down; echo "netns-cluster: down" ;;
    *) die "unknown command $command" ;;
esac
