"""PyTorch twin of bench/cuda.ts (same models as bench/torch_bench.py) on 'cuda'.
Usage: python3 bench/torch_cuda.py <model> [warmup] [repeats] [batch]; prints one JSON line."""
import json, os, statistics, sys, time
import torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_bench import MODELS, step_fns


def time_loop(fn, warmup, n):
    for _ in range(warmup): fn()
    torch.cuda.synchronize()
    out = []
    for _ in range(n):
        t = time.perf_counter(); fn(); torch.cuda.synchronize(); out.append((time.perf_counter() - t) * 1e3)
    return out


def main(argv):
    name = argv[0] if argv else 'small'
    warmup, repeats, batch = (int(argv[1]) if len(argv) > 1 else 10), (int(argv[2]) if len(argv) > 2 else 30), (int(argv[3]) if len(argv) > 3 else 128)
    torch.manual_seed(0)
    model = MODELS[name]().cuda()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(batch, 1, 28, 28, device='cuda'); y = torch.randint(0, 10, (batch,), device='cuda')

    step, infer = step_fns(model, opt, x, y)
    model.train(); tr = time_loop(step, warmup, repeats)
    model.eval(); inf = time_loop(infer, warmup, repeats)
    print(json.dumps({'framework': 'pytorch', 'device': 'cuda', 'model': name, 'batch': batch,
                      'trainMs': statistics.median(tr), 'inferMs': statistics.median(inf), 'torch': torch.__version__}))


if __name__ == '__main__':
    main(sys.argv[1:])
