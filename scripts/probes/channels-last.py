# PyTorch probe: ResNet-18 (shared/bench/torch_train_step.py's model, widths 16 and 64) training step and
# inference, contiguous vs channels_last (model.to(memory_format=...) and the input), median ms, batch 128.
# Usage: /usr/bin/python3 scripts/probes/channels-last.py THREADS [path/to/torch_train_step.py]
import sys, time, torch, torch.nn.functional as F
torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
src = open(sys.argv[2] if len(sys.argv) > 2 else '../shared/bench/torch_train_step.py').read()
ns = {}
exec(src.split("def bench")[0].replace("torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)", ""), ns)

def run(width, cl, steps):
    torch.manual_seed(0)
    m = ns['ResNet18'](1, 10, width); x = torch.randn(128, 1, 28, 28); y = torch.randint(0, 10, (128,))
    if cl: m = m.to(memory_format=torch.channels_last); x = x.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
    def step():
        opt.zero_grad(); F.cross_entropy(m(x), y).backward(); opt.step()
    for _ in range(2): step()
    tr = []
    for _ in range(steps):
        t = time.perf_counter(); step(); tr.append(time.perf_counter() - t)
    m.eval(); inf = []
    with torch.no_grad():
        for _ in range(2): m(x)
        for _ in range(steps):
            t = time.perf_counter(); m(x); inf.append(time.perf_counter() - t)
    return sorted(tr)[steps // 2] * 1e3, sorted(inf)[steps // 2] * 1e3

for width, steps in [(16, 10), (64, 4)]:
    for rep in range(2):
        for cl in (False, True):
            tr, inf = run(width, cl, steps)
            print(f"w{width} channels_last={cl}: train {tr:.1f} ms, inference {inf:.1f} ms", flush=True)
