"""
Denoising digits with NMF and PCA
=================================

Noisy copies of scikit-learn's digits are projected onto 20 parts learned from clean
training digits: non-negative parts (NMF, the seeds' Lee-Seung multiplicative updates
from a random start) and principal components (PCA). Both remove much of the noise;
the mean squared errors against the clean digits are printed below the code.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from fastnet.decomposition import NMF, PCA, denoise, minmax_range, random_init

X, y = load_digits(return_X_y=True)
X_train, X_test = train_test_split(X / 16, test_size=0.25, stratify=y, random_state=0)
noisy = np.clip(X_test + np.random.default_rng(1).normal(0.0, 0.25, X_test.shape), 0, 1)

k = 20
W, H = random_init(X_train.shape[0], X_train.shape[1], k, seed=0)
nmf = NMF(k, init="custom", solver="mu", pseudo_count=1e-3, tol=0.0, max_iter=300)
nmf.fit(X_train, W=W, H=H)
pca = PCA(k).fit(X_train)
low, high = minmax_range(X_train)
images = {"clean": X_test, "noisy": noisy,
          "NMF": denoise(noisy, nmf, center=low, scale=high - low),
          "PCA": denoise(noisy, pca)}
for name, value in images.items():
    print(f"{name:>5}: mean squared error {np.mean((value - X_test) ** 2):.4f}")

fig, axes = plt.subplots(len(images), 8, figsize=(8, 4.4))
for row, (name, value) in zip(axes, images.items(), strict=True):
    for i, ax in enumerate(row):
        ax.imshow(value[i].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    row[0].set_ylabel(name)
fig.suptitle("Noisy digits denoised by 20 NMF parts and 20 principal components")
plt.show()
