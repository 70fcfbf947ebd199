"""NumPy VAE (hand-written backward) vs the same VAE in PyTorch CPU, timed in the same run.

Same data split, architecture (64-512-4 encoder, 2-512-64 decoder, ReLU), initialisation law,
binomial likelihood, batch size, Adam settings and number of epochs.  Both use float32 and one
thread (``torch.set_num_threads(1)``; one OpenBLAS thread for NumPy), and their epochs are
interleaved so that load from other processes hits both alike.  Both trained models are scored
by the same function, ``lectures_lib.vae.neg_elbo``, on the held-out split.

Run:  .venv/bin/python bench/vae.py [--epochs 100] [--seeds 3]   (the notebook trains 100 epochs)
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from lectures_lib.nn import Adam
from lectures_lib.vae import VAE, History, _epoch, load_digits_split, log_binomial_coefficients, neg_elbo

HIDDEN, LATENT, BATCH, LR, TRIALS = 512, 2, 64, 2e-3, 16


def torch_vae(torch, seed: int):
    torch.manual_seed(seed)
    nn = torch.nn
    enc = nn.Sequential(nn.Linear(64, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 2 * LATENT))
    dec = nn.Sequential(nn.Linear(LATENT, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 64))
    opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=LR)
    return enc, dec, opt


def torch_epoch(torch, enc, dec, opt, x, log_binom, gen) -> None:
    F = torch.nn.functional
    order = torch.randperm(len(x), generator=gen)
    for start in range(0, len(x), BATCH):
        idx = order[start:start + BATCH]
        xb = x[idx]
        mu, log_var = enc(xb).chunk(2, dim=1)
        z = mu + torch.exp(0.5 * log_var) * torch.randn(mu.shape, generator=gen)
        logits = dec(z)
        rec = (TRIALS * F.softplus(logits) - TRIALS * xb * logits).sum(1) - log_binom[idx]
        kl = 0.5 * (torch.exp(log_var) + mu**2 - 1 - log_var).sum(1)
        loss = (rec + kl).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()


def as_numpy_vae(enc, dec) -> VAE:
    """Copy torch weights into a NumPy VAE so both are scored by the same neg_elbo."""
    vae = VAE(np.random.default_rng(0), n_hidden=HIDDEN, n_latent=LATENT)
    for prefix, net in (("encoder", enc), ("decoder", dec)):
        for i in (0, 2):
            vae.params[f"{prefix}.{i}.W"][...] = net[i].weight.detach().numpy().T
            vae.params[f"{prefix}.{i}.b"][...] = net[i].bias.detach().numpy()
    return vae


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: nothing to compare against.")
        return
    torch.set_num_threads(1)
    x_train, x_test, _, _ = load_digits_split(np.random.default_rng(0))
    log_binom = log_binomial_coefficients(x_train, TRIALS)
    x32 = x_train.astype(np.float32)
    xt, lbt = torch.from_numpy(x32), torch.from_numpy(log_binom.astype(np.float32))
    t_np, t_torch, elbo_np, elbo_torch = [], [], [], []
    for seed in range(args.seeds):
        rng = np.random.default_rng(seed)
        vae = VAE(rng, n_hidden=HIDDEN, n_latent=LATENT)
        opt, history = Adam(vae.params, lr=LR), History()
        enc, dec, topt = torch_vae(torch, seed)
        gen = torch.Generator().manual_seed(seed)
        with threadpool_limits(1, user_api="blas"):
            for _ in range(args.epochs):  # interleaved, so background load hits both alike
                start = time.perf_counter()
                _epoch(vae, opt, x32, log_binom, rng, BATCH, 1.0, 1.0, history)
                t_np.append(time.perf_counter() - start)
                start = time.perf_counter()
                torch_epoch(torch, enc, dec, topt, xt, lbt, gen)
                t_torch.append(time.perf_counter() - start)
            score = np.random.default_rng(100 + seed)
            elbo_np.append(neg_elbo(vae, x_test, score, n_samples=64).total.mean())
            elbo_torch.append(neg_elbo(as_numpy_vae(enc, dec), x_test, score, n_samples=64).total.mean())
        print(f"seed {seed}: held-out -ELBO  numpy {elbo_np[-1]:.2f}  torch {elbo_torch[-1]:.2f} nats/image")
    med_np, med_torch = 1e3 * np.median(t_np), 1e3 * np.median(t_torch)
    print(f"median epoch time: numpy {med_np:.1f} ms, torch {med_torch:.1f} ms, "
          f"ratio numpy/torch = {med_np / med_torch:.2f} (target <= 1.0)")
    m_np, m_torch = np.mean(elbo_np), np.mean(elbo_torch)
    print(f"held-out -ELBO after {args.epochs} epochs, mean of {args.seeds} seeds: numpy {m_np:.2f}, "
          f"torch {m_torch:.2f}, relative difference {100 * (m_np - m_torch) / m_torch:+.2f} % (target within 1 %)")


if __name__ == "__main__":
    main()
