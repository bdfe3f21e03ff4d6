"""never-reading-clients.py HOST PORT PID SECONDS: 50 TCP clients, each from its own loopback
address (127.0.1.1-50), pipeline queries for big.defence.test TXT (~600 octets) and never read the
answers, reconnecting when the server closes them, for SECONDS; meanwhile one UDP and one TCP query
a second from 127.0.0.1 must be answered within 3 s (counted after the first 2 s), and the
resident memory of process PID is sampled every 0.5 s. Prints one line of figures.
Bounded: SECONDS of load, 50 clients, one probe pair a second. Loopback only."""
import socket, struct, sys, threading, time, random
host, port, pid, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
def q(name, qtype, qid):
    n = b''.join(bytes([len(p)]) + p for p in name.encode().split(b'.') if p) + b'\0'
    return struct.pack('>HHHHHH', qid, 0, 1, 0, 0, 0) + n + struct.pack('>HH', qtype, 1)
def frame(m): return struct.pack('>H', len(m)) + m
def rss():
    for line in open(f'/proc/{pid}/status'):
        if line.startswith('VmRSS:'): return int(line.split()[1]) * 1024
burst = b''.join(frame(q('big.defence.test', 16, i)) for i in range(64))
end = time.time() + seconds
lock = threading.Lock(); stats = {'conn': 0, 'closed': 0}; socks = []
def flooder(i):
    src = f'127.0.1.{i+1}'
    while time.time() < end:
        s = socket.socket()
        with lock: socks.append(s)
        try:
            s.bind((src, 0)); s.settimeout(None); s.connect((host, port))
            with lock: stats['conn'] += 1
            while time.time() < end: s.sendall(burst)
        except OSError:
            if time.time() < end:
                with lock: stats['closed'] += 1
        finally:
            s.close()
        time.sleep(0.1)
base = rss(); peak = [base]
def sampler():
    while time.time() < end:
        peak[0] = max(peak[0], rss()); time.sleep(0.5)
threads = [threading.Thread(target=flooder, args=(i,), daemon=True) for i in range(50)]
start = time.time()
for t in threads: t.start()
threading.Thread(target=sampler, daemon=True).start()
fails = []; probes = 0; slowest = 0.0
while time.time() < end:
    t0 = time.time(); at = t0 - start
    ok = []
    try:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(3)
        u.sendto(q('defence.test', 1, 7), (host, port)); u.recvfrom(4096); ok.append(True); u.close()
    except OSError: ok.append(False)
    try:
        c = socket.create_connection((host, port), timeout=3); c.settimeout(3)
        c.sendall(frame(q('defence.test', 1, 8))); d = c.recv(2); ok.append(len(d) == 2); c.close()
    except OSError: ok.append(False)
    took = time.time() - t0
    if at >= 2:
        probes += 2; slowest = max(slowest, took)
        fails += [f'{at:.1f}s {"UDP" if k == 0 else "TCP"}' for k, v in enumerate(ok) if not v]
    time.sleep(max(0, 1 - took))
print(f'RSS before {base>>20} MiB, peak {peak[0]>>20} MiB (+{(peak[0]-base)>>20} MiB); '
      f'{stats["conn"]} connections, {stats["closed"]} closed by the server; '
      f'{len(fails)} of {probes} probes failed {fails[:6]}; slowest probe pair {slowest*1000:.0f} ms')
