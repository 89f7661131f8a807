"""PyTorch side of `adaptune bench`: one measurement per process (clean peak RSS).

Usage: /usr/bin/python3 bench/torch_bench.py <model> <threads> <warmup> <repeats> [train|infer|both]
Same models, init, optimizer and protocol as bench/models.ts + bench/worker.ts
(inference also in graph mode: torch.jit.trace + freeze + optimize_for_inference)
(zero_grad(set_to_none=True); each timed step is followed by nothing: Python has no
event loop to yield to). Prints one JSON line (times in ms per step).
"""
import json, os, resource, sys, time
import torch, torch.nn as nn, torch.nn.functional as F


class Block(nn.Module):
    def __init__(s, cin, cout, stride):
        super().__init__()
        s.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False); s.b1 = nn.BatchNorm2d(cout)
        s.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False); s.b2 = nn.BatchNorm2d(cout)
        s.sc = None
        if stride != 1 or cin != cout:
            s.sc = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(s, x):
        y = F.relu(s.b1(s.c1(x))); y = s.b2(s.c2(y))
        return F.relu(y + (x if s.sc is None else s.sc(x)))


class ResNet18(nn.Module):  # CIFAR-style ResNet-18 (3x3 stem, no max-pool)
    def __init__(s, cin=1, classes=10, width=64):
        super().__init__()
        s.stem = nn.Sequential(nn.Conv2d(cin, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU())
        layers, c = [], width
        for i, w in enumerate([width, 2 * width, 4 * width, 8 * width]):
            layers += [Block(c, w, 1 if i == 0 else 2), Block(w, w, 1)]; c = w
        s.layers = nn.Sequential(*layers); s.fc = nn.Linear(c, classes)

    def forward(s, x):
        return s.fc(F.adaptive_avg_pool2d(s.layers(s.stem(x)), 1).flatten(1))


def small_cnn():
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(32 * 7 * 7, 10))


MODELS = {'small': small_cnn, 'resnet18-w16': lambda: ResNet18(1, 10, 16),
          'resnet18-w64': lambda: ResNet18(1, 10, 64)}


def time_loop(fn, warmup, n):
    for _ in range(warmup): fn()
    out = []
    for _ in range(n):
        t = time.perf_counter(); fn(); out.append((time.perf_counter() - t) * 1e3)
    return out


def step_fns(model, opt, x, y):
    """The timed training step (zero_grad, forward, cross-entropy, backward, SGD) and inference step."""
    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    def infer():
        with torch.no_grad(): model(x)
    return step, infer


def main(argv):
    name, threads, warmup, repeats = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    what = argv[4] if len(argv) > 4 else 'both'
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = MODELS[name]()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(128, 1, 28, 28); y = torch.randint(0, 10, (128,))

    step, infer = step_fns(model, opt, x, y)
    train_t, infer_t, graph_t = [], [], []
    if what != 'infer':
        model.train(); train_t = time_loop(step, warmup, repeats)
    if what != 'train':
        model.eval(); infer_t = time_loop(infer, warmup, repeats)
        # graph mode: trace, freeze, optimize_for_inference (untimed); the profiling executor needs 2 runs to settle
        with torch.no_grad():
            g = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(model, x)))

        def infer_graph():
            with torch.no_grad(): g(x)
        graph_t = time_loop(infer_graph, max(warmup, 2), repeats); del g
        model.train()
    print(json.dumps({
        'framework': 'pytorch', 'model': name, 'batch': 128, 'threads': threads,
        'blasThreads': os.environ.get('OPENBLAS_NUM_THREADS'), 'train': train_t, 'infer': infer_t, 'inferGraph': graph_t,
        'maxRssBytes': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        'torch': torch.__version__,
    }))


if __name__ == '__main__':
    main(sys.argv[1:])
