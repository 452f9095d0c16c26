"""The reference β-VAE training step in PyTorch, as an anchor for `darla bench backends`.

The same network and step as vision/vae/model.ts + trainer.ts: 4 convs 32-32-64-64 (4×4, stride 2,
'same' = padding 1 here), FC 256, 10 latents (μ and log σ² from one linear head), a mirrored decoder
(FC 256, FC 4·4·64, transposed convs 64-32-32-3, 4×4 stride 2), on 64×64×3 images; Bernoulli
likelihood summed over pixels and averaged over the batch, plus β·KL (β = 4); Adam (lr 1e-4); batch
64; one random batch reused every step. Prints one JSON line: per-step wall and CPU milliseconds.

Run with Debian's interpreter, which is where python3-torch installs (apt-get install python3-torch):
  /usr/bin/python3 scripts/bench/torch_vae.py --threads 2 --steps 10
Exit code 3 (and a JSON line with "skipped") when torch cannot be imported.
"""

import argparse
import json
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    parser.add_argument("--batch", type=int, default=64, help="images per step")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    parser.add_argument("--steps", type=int, default=10, help="timed steps")
    parser.add_argument("--seed", type=int, default=0, help="weights and data")
    args = parser.parse_args()
    if args.threads < 1 or args.batch < 1 or args.steps < 1 or args.warmup < 0:
        parser.error("--threads, --batch and --steps must be >= 1, --warmup >= 0")

    try:
        import torch
        from torch import nn
        import torch.nn.functional as F
    except ImportError as err:
        print(json.dumps({"skipped": f"torch is not importable by {sys.executable} ({err}); apt-get install python3-torch"}))
        return 3

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    class BetaVae(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            f = [32, 32, 64, 64]
            self.enc = nn.ModuleList([nn.Conv2d(i, o, 4, 2, 1) for i, o in zip([3] + f[:-1], f)])
            self.fc = nn.Linear(4 * 4 * 64, 256)
            self.head = nn.Linear(256, 20)
            self.fc0 = nn.Linear(10, 256)
            self.fc1 = nn.Linear(256, 4 * 4 * 64)
            self.dec = nn.ModuleList([nn.ConvTranspose2d(i, o, 4, 2, 1) for i, o in zip([64, 64, 32, 32], [64, 32, 32, 3])])

        def forward(self, x: "torch.Tensor", eps: "torch.Tensor"):
            h = x
            for conv in self.enc:
                h = F.relu(conv(h))
            h = F.relu(self.fc(h.flatten(1)))
            mu, logvar = self.head(h).chunk(2, dim=1)
            z = mu + torch.exp(0.5 * logvar) * eps
            h = F.relu(self.fc1(F.relu(self.fc0(z)))).view(-1, 64, 4, 4)
            for i, deconv in enumerate(self.dec):
                h = deconv(h)
                if i < len(self.dec) - 1:
                    h = F.relu(h)
            return h, mu, logvar

    model = BetaVae()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = torch.rand(args.batch, 3, 64, 64)
    beta = 4.0

    def step() -> None:
        eps = torch.randn(args.batch, 10)
        logits, mu, logvar = model(x, eps)
        recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / args.batch
        kl = 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1).sum(1).mean()
        loss = recon + beta * kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss.item()

    for _ in range(args.warmup):
        step()
    wall, cpu = [], []
    for _ in range(args.steps):
        w0, c0 = time.perf_counter(), time.process_time()
        step()
        wall.append((time.perf_counter() - w0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "batch": args.batch,
        "stepMs": wall,
        "stepCpuMs": cpu,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
