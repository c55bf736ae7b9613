"""
Learning curves of the MLP study's network
==========================================

The MLP study's network on scikit-learn's digits: three hidden layers of 200 softplus
units, a softmax output, the Kullback-Leibler loss and minibatch SGD
(:class:`fastnet.nn.MLP`). The figure shows the training loss and the validation
accuracy per epoch.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from fastnet import plot
from fastnet.nn import MLP

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X / 16, y, test_size=0.25, stratify=y,
                                                    random_state=0)
net = MLP((64, 200, 200, 200, 10), seed=0, shuffle=True)
history = net.fit(X_train, y_train, epochs=15, batch_size=32, learning_rate=0.1,
                  X_val=X_test, y_val=y_test)
print(history.tail(3).to_string(index=False))

fig, ax = plt.subplots(layout="constrained")
plot.learning_curves(history, ax=ax)
plt.show()
