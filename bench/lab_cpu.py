#!/usr/bin/env python3
# CPU of the lab by component, from /proc: `lab_cpu.py snap` prints a snapshot (every process in an
# hc-* network namespace: own and reaped children's ticks; the machine's /proc/stat line);
# `lab_cpu.py diff BEFORE AFTER CLIENT_CPU WALL` prints core-seconds per component between two
# snapshots, the machine's busy, softirq and idle time, and what is left for the rest.
# Used by bench/probe_speed.sh around each hairpin-check run.
import json, os, sys
def snap():
    ino = {}
    for ns in os.listdir('/run/netns'):
        if ns.startswith('hc-'):
            try: ino[os.stat('/run/netns/' + ns).st_ino] = ns
            except OSError: pass
    procs = {}
    for p in os.listdir('/proc'):
        if not p.isdigit(): continue
        try:
            ns = ino.get(os.stat(f'/proc/{p}/ns/net').st_ino)
            if ns is None: continue
            with open(f'/proc/{p}/stat') as f: s = f.read(4096)
        except OSError: continue
        comm = s[s.index('(') + 1:s.rindex(')')]
        f = s[s.rindex(')') + 2:].split()
        procs[p] = [ns, comm, int(f[1]), int(f[11]) + int(f[12]), int(f[13]) + int(f[14])]
    with open('/proc/stat') as f: cpu = [int(x) for x in f.readline().split()[1:]]
    return {'procs': procs, 'cpu': cpu}
def component(procs, pid):
    ns, comm, ppid = procs[pid][:3]
    parent = procs.get(str(ppid), [None, ''])[1]
    if ns in ('hc-web', 'hc-web2'): return 'nginx' if comm == 'nginx' else 'web ' + comm
    if ns in ('hc-dns', 'hc-root', 'hc-sec'): return comm  # named
    if ns == 'hc-mail':
        if comm == 'dovecot' or parent == 'dovecot':
            return 'dovecot ' + (comm if comm in ('dovecot', 'imap-login', 'imap', 'auth') else 'other')
        if comm == 'master' or parent == 'master':
            return 'postfix ' + (comm if comm in ('smtpd', 'tlsproxy') else 'other')
        return 'mail ' + comm
    return ns + ' ' + comm
if sys.argv[1] == 'snap':
    print(json.dumps(snap()))
    sys.exit()
# diff BEFORE AFTER CLIENT_CPU WALL: core-seconds by component between two snapshots.
a, b = (json.load(open(x)) for x in sys.argv[2:4])
client, wall = float(sys.argv[4]), float(sys.argv[5])
tck = os.sysconf('SC_CLK_TCK')
comp = {}
for pid, (ns, comm, ppid, own, kids) in b['procs'].items():
    old = a['procs'].get(pid)
    if old and old[1] != comm and old[0] == ns: old = None  # a new process on a recycled pid (exec keeps the pid, rare)
    d = own - (old[3] if old else 0)
    k = kids - (old[4] if old else 0)  # children that exited and were reaped in between
    name = component(b['procs'], pid)
    comp[name] = comp.get(name, 0) + d / tck
    if k: comp[name + ' (exited children)'] = comp.get(name + ' (exited children)', 0) + k / tck
# A child that was alive in BEFORE and reaped by its parent since: the parent's children's ticks
# now hold its whole life, of which the part up to BEFORE is not this window's.
for pid, (ns, comm, ppid, own, kids) in a['procs'].items():
    parent = str(ppid)
    if pid not in b['procs'] and parent in b['procs'] and parent in a['procs']:
        name = component(b['procs'], parent) + ' (exited children)'
        comp[name] = comp.get(name, 0) - (own + kids) / tck
cpu = [y - x for x, y in zip(a['cpu'], b['cpu'])]
user, nice, system, idle, iowait, irq, softirq, steal = (v / tck for v in cpu[:8])
cores = os.cpu_count()
lab = sum(comp.values())
busy = user + nice + system + irq + softirq + steal
print(f'  machine over the run ({wall:.2f} s x {cores} cores = {wall * cores:.2f} core-s): '
      f'busy {user + nice + system:.2f} (user {user + nice:.2f}, sys {system:.2f}), irq+softirq {irq + softirq:.2f}, '
      f'steal {steal:.2f}, idle {idle + iowait:.2f} core-s')
print(f'  client (hairpin-check): {client:.2f} core-s, {client / wall:.2f} of the {cores} cores over its wall '
      f'(the rest of the time its event loops wait for servers or for a core)')
for name, v in sorted(comp.items(), key=lambda kv: -kv[1]):
    if v >= 0.005: print(f'  {name}: {v:.2f} core-s')
print(f'  lab servers together (time charged to processes may include softirq): {lab:.2f} core-s; client + servers {client + lab:.2f}; '
      f'the rest of busy + irq + softirq (kernel work charged to no lab process, other users): '
      f'{busy - steal - client - lab:.2f} core-s')
