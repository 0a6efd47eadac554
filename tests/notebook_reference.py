"""The reference notebook's eight training loops, re-written literally (no pynet imports).

Each function is one notebook cell's training loop: `np.random.seed(seed)`, the same initialisation
expressions, the same per-image / per-batch Python loops, the same delta expressions and quirks, e.g.

- the dropout cells multiply `layer_1` *in place* (`layer_1 *= dropout_mask * 2`) before its derivative is
  taken, and scale the backward delta by the mask only (`layer_1_delta *= dropout_mask`);
- the tanh/softmax and conv cells divide the softmax delta by `batch_size * layer_2.shape[0]`;
- the conv cell takes `range(28 - 3)` windows per axis with `get_image_section` and `np.concatenate`;
- the mini-batch cells run `int(len(train_images_array) / batch_size)` batches (a partial batch is skipped);
- the wide mini-batch cell has its backward mask commented out;
- the linear cell updates with `delta.T.dot(input).T`, summed over all images, not divided.

Signature: `(train_images, train_labels_onehot, iterations, seed=1) -> dict of final weights`, images as
(N, 784) floats `pixels / 255`, labels one-hot (N, 10). The test-set evaluation the notebook runs every ten
iterations touches neither the weights nor the random stream, so it is left out; the training error and
accuracy counters are kept (they cost what they cost in the notebook).

Used by tests/test_parity.py (pynet must end with the same weights) and bench/bench_cpython.py (speed).
"""
import numpy as np


def linear(train_images, train_labels_onehot, iterations, seed=1):
    """Simplest implementation - Two layer neural network (no random numbers: zero weights)."""
    input = train_images
    goal_pred = train_labels_onehot
    weights = np.zeros((input.shape[1], goal_pred.shape[1]))
    alpha = .01

    for i in range(iterations):
        pred = input.dot(weights)
        delta = pred - goal_pred
        error = np.sum((delta ** 2)) / input.shape[0]  # noqa: F841 (printed in the notebook)
        weight_delta = delta.T.dot(input).T
        weights -= weight_delta * alpha

    return {"weights": weights}


def relu(train_images, train_labels_onehot, iterations, seed=1):
    """Three layer neural network - Nonlinearity and backpropagation (one image at a time)."""
    train_images_array, train_labels_array = train_images, train_labels_onehot
    np.random.seed(seed)

    alpha = .01
    hidden_size = 30

    weights_0_1 = .2 * np.random.random((train_images_array.shape[1], hidden_size)) - .1
    weights_1_2 = .2 * np.random.random((hidden_size, train_labels_array.shape[1])) - .1
    weights = {'weights_0_1': weights_0_1, 'weights_1_2': weights_1_2}

    def relu(x):
        return (x > 0) * x

    def relu2deriv(x):
        return (x > 0)

    input = train_images_array
    for iteration in range(iterations):
        train_error = 0
        train_correct_cnt = 0
        for index, observation in enumerate(input):
            layer_0 = input[index:index+1]
            layer_1 = relu(layer_0.dot(weights['weights_0_1']))
            layer_2 = layer_1.dot(weights['weights_1_2'])

            layer_2_delta = layer_2 - train_labels_array[index:index+1]

            train_error += np.sum((layer_2_delta ** 2))
            train_correct_cnt += int(np.argmax(layer_2) == np.argmax(train_labels_array[index:index+1]))

            layer_1_delta = layer_2_delta.dot(weights['weights_1_2'].T) \
                * relu2deriv(layer_1)

            weights_1_2_delta = layer_1.T.dot(layer_2_delta)
            weights_0_1_delta = layer_0.T.dot(layer_1_delta)

            weights['weights_1_2'] -= weights_1_2_delta * alpha
            weights['weights_0_1'] -= weights_0_1_delta * alpha

    return weights


def relu_dropout(train_images, train_labels_onehot, iterations, seed=1):
    """Add dropout (one image at a time)."""
    train_images_array, train_labels_array = train_images, train_labels_onehot
    np.random.seed(seed)

    alpha = .005
    hidden_size = 100

    weights_0_1 = .2 * np.random.random((train_images_array.shape[1], hidden_size)) - .1
    weights_1_2 = .2 * np.random.random((hidden_size, train_labels_array.shape[1])) - .1
    weights = {'weights_0_1': weights_0_1, 'weights_1_2': weights_1_2}

    def relu(x):
        return (x > 0) * x

    def relu2deriv(x):
        return (x > 0)

    input = train_images_array
    for iteration in range(iterations):
        train_error = 0
        train_correct_cnt = 0
        for index, observation in enumerate(input):
            layer_0 = input[index:index+1]

            layer_1 = relu(layer_0.dot(weights['weights_0_1']))
            dropout_mask = np.random.randint(2, size=layer_1.shape)
            layer_1 *= dropout_mask * 2

            layer_2 = layer_1.dot(weights['weights_1_2'])

            layer_2_delta = layer_2 - train_labels_array[index:index+1]

            train_error += np.sum((layer_2_delta ** 2))
            train_correct_cnt += int(np.argmax(layer_2) == np.argmax(train_labels_array[index:index+1]))

            layer_1_delta = layer_2_delta.dot(weights['weights_1_2'].T) \
                * relu2deriv(layer_1)
            layer_1_delta *= dropout_mask

            weights_1_2_delta = layer_1.T.dot(layer_2_delta)
            weights_0_1_delta = layer_0.T.dot(layer_1_delta)

            weights['weights_1_2'] -= weights_1_2_delta * alpha
            weights['weights_0_1'] -= weights_0_1_delta * alpha

    return weights


def relu_minibatch(train_images, train_labels_onehot, iterations, seed=1):
    """Add Batch gradient descent (batches of 100, dropout)."""
    train_images_array, train_labels_array = train_images, train_labels_onehot
    np.random.seed(seed)

    alpha = .1
    hidden_size, batch_size = 100, 100

    weights_0_1 = .2 * np.random.random((train_images_array.shape[1], hidden_size)) - .1
    weights_1_2 = .2 * np.random.random((hidden_size, train_labels_array.shape[1])) - .1
    weights = {'weights_0_1': weights_0_1, 'weights_1_2': weights_1_2}

    def relu(x):
        return (x > 0) * x

    def relu2deriv(x):
        return (x > 0)

    input = train_images_array
    for iteration in range(iterations):
        train_error = 0
        train_correct_cnt = 0
        for index in range(int(len(train_images_array)/batch_size)):
            batch_start, batch_end = index * batch_size, (index + 1) * batch_size

            layer_0 = input[batch_start:batch_end]

            layer_1 = relu(layer_0.dot(weights['weights_0_1']))
            dropout_mask = np.random.randint(2, size=layer_1.shape)
            layer_1 *= dropout_mask * 2

            layer_2 = layer_1.dot(weights['weights_1_2'])

            layer_2_delta = (layer_2 - train_labels_array[batch_start:batch_end]) / batch_size

            train_error += np.sum((layer_2_delta ** 2))
            train_correct_cnt += np.sum((np.argmax(layer_2, axis=1) == np.argmax(train_labels_array[batch_start:batch_end], axis=1)).astype(int))

            layer_1_delta = layer_2_delta.dot(weights['weights_1_2'].T) \
                * relu2deriv(layer_1)
            layer_1_delta *= dropout_mask

            weights_1_2_delta = layer_1.T.dot(layer_2_delta)
            weights_0_1_delta = layer_0.T.dot(layer_1_delta)

            weights['weights_1_2'] -= weights_1_2_delta * alpha
            weights['weights_0_1'] -= weights_0_1_delta * alpha

    return weights


def tanh_softmax(train_images, train_labels_onehot, iterations, seed=1):
    """Add better activation functions - Tanh for hidden layer and Softmax for output layer."""
    train_images_array, train_labels_array = train_images, train_labels_onehot
    np.random.seed(seed)

    alpha = 2
    hidden_size, batch_size = 100, 100

    weights_0_1 = .02 * np.random.random((train_images_array.shape[1], hidden_size)) - .01
    weights_1_2 = .2 * np.random.random((hidden_size, train_labels_array.shape[1])) - .1
    weights = {'weights_0_1': weights_0_1, 'weights_1_2': weights_1_2}

    def tanh(x):
        return np.tanh(x)

    def tanh2deriv(output):
        return 1 - output ** 2

    def softmax(x):
        tmp = np.exp(x)
        return tmp / np.sum(tmp, axis=1, keepdims=True)

    input = train_images_array
    for iteration in range(iterations):
        train_correct_cnt = 0
        for index in range(int(len(train_images_array)/batch_size)):
            batch_start, batch_end = index * batch_size, (index + 1) * batch_size

            layer_0 = input[batch_start:batch_end]

            layer_1 = tanh(layer_0.dot(weights['weights_0_1']))
            dropout_mask = np.random.randint(2, size=layer_1.shape)
            layer_1 *= dropout_mask * 2

            layer_2 = softmax(layer_1.dot(weights['weights_1_2']))

            layer_2_delta = (layer_2 - train_labels_array[batch_start:batch_end]) / (batch_size * layer_2.shape[0])

            train_correct_cnt += np.sum((np.argmax(layer_2, axis=1) == np.argmax(train_labels_array[batch_start:batch_end], axis=1)).astype(int))

            layer_1_delta = layer_2_delta.dot(weights['weights_1_2'].T) \
                * tanh2deriv(layer_1)
            layer_1_delta *= dropout_mask

            weights_1_2_delta = layer_1.T.dot(layer_2_delta)
            weights_0_1_delta = layer_0.T.dot(layer_1_delta)

            weights['weights_1_2'] -= weights_1_2_delta * alpha
            weights['weights_0_1'] -= weights_0_1_delta * alpha

    return weights


def conv(train_images, train_labels_onehot, iterations, seed=1):
    """Add Convolutional layer (16 kernels 3x3, 25x25 windows, batches of 128)."""
    train_images_array, train_labels_array = train_images, train_labels_onehot
    np.random.seed(seed)

    alpha = 2

    batch_size = 128
    input_rows, input_cols = 28, 28
    num_kernels, kernel_rows, kernel_cols = 16, 3, 3
    hidden_size = (input_rows - kernel_rows) * (input_cols - kernel_cols) * num_kernels  # 10000

    kernels = .02 * np.random.random((kernel_rows * kernel_cols, num_kernels)) - .01
    weights_1_2 = .2 * np.random.random((hidden_size, train_labels_array.shape[1])) - .1
    weights = {'kernels': kernels, 'weights_1_2': weights_1_2}

    def tanh(x):
        return np.tanh(x)

    def tanh2deriv(output):
        return 1 - output ** 2

    def softmax(x):
        tmp = np.exp(x)
        return tmp / np.sum(tmp, axis=1, keepdims=True)

    def get_image_section(layer, row_from, row_to, col_from, col_to):
        subsection = layer[:, row_from:row_to, col_from:col_to]
        return subsection.reshape(-1, 1, row_to-row_from, col_to-col_from)

    input = train_images_array
    for iteration in range(iterations):
        train_correct_cnt = 0
        for index in range(int(len(train_images_array)/batch_size)):
            batch_start, batch_end = index * batch_size, (index + 1) * batch_size

            layer_0 = input[batch_start:batch_end]
            layer_0 = layer_0.reshape(-1, input_rows, input_cols)

            sects = list()
            for row_start in range(layer_0.shape[1] - kernel_rows):
                for col_start in range(layer_0.shape[2] - kernel_cols):
                    sect = get_image_section(layer_0,
                                             row_start, row_start+kernel_rows,
                                             col_start, col_start+kernel_cols)
                    sects.append(sect)

            expanded_input = np.concatenate(sects, axis=1)  # (128, 625, 3, 3)
            flattened_input = expanded_input.reshape(expanded_input.shape[0]*expanded_input.shape[1], -1)  # (80000, 9)
            kernel_output = flattened_input.dot(weights['kernels'])  # (80000, 16)

            layer_1 = tanh(kernel_output.reshape(expanded_input.shape[0], -1))  # (128, 10000)

            dropout_mask = np.random.randint(2, size=layer_1.shape)
            layer_1 *= dropout_mask * 2

            layer_2 = softmax(layer_1.dot(weights['weights_1_2']))

            layer_2_delta = (layer_2 - train_labels_array[batch_start:batch_end]) / (batch_size * layer_2.shape[0])

            train_correct_cnt += np.sum((np.argmax(layer_2, axis=1) == np.argmax(train_labels_array[batch_start:batch_end], axis=1)).astype(int))

            layer_1_delta = layer_2_delta.dot(weights['weights_1_2'].T) \
                * tanh2deriv(layer_1)
            layer_1_delta *= dropout_mask

            weights_1_2_delta = layer_1.T.dot(layer_2_delta)

            layer_1_delta_reshaped = layer_1_delta.reshape(kernel_output.shape)
            kernel_update = flattened_input.T.dot(layer_1_delta_reshaped)

            weights['weights_1_2'] -= weights_1_2_delta * alpha
            weights['kernels'] -= kernel_update * alpha

    return weights


def conv_test_correct(test_images_array, test_labels_array, weights):
    """The conv cell's test evaluation, literally: one image at a time, 625 windows cut in Python each
    (no softmax: the argmax is the same). Returns `test_correct_cnt`."""
    input_rows, input_cols = 28, 28
    kernel_rows, kernel_cols = 3, 3
    kernels = weights['kernels']

    def tanh(x):
        return np.tanh(x)

    def get_image_section(layer, row_from, row_to, col_from, col_to):
        subsection = layer[:, row_from:row_to, col_from:col_to]
        return subsection.reshape(-1, 1, row_to-row_from, col_to-col_from)

    test_correct_cnt = 0
    for index, observation in enumerate(test_images_array):
        layer_0 = test_images_array[index:index+1]
        layer_0 = layer_0.reshape(-1, input_rows, input_cols)

        sects = list()
        for row_start in range(layer_0.shape[1] - kernel_rows):
            for col_start in range(layer_0.shape[2] - kernel_cols):
                sect = get_image_section(layer_0,
                                         row_start, row_start + kernel_rows,
                                         col_start, col_start + kernel_cols)
                sects.append(sect)

        expanded_input = np.concatenate(sects, axis=1)
        flattened_input = expanded_input.reshape(expanded_input.shape[0]*expanded_input.shape[1], -1)
        kernel_output = flattened_input.dot(kernels)

        layer_1 = tanh(kernel_output.reshape(expanded_input.shape[0], -1))
        layer_2 = layer_1.dot(weights['weights_1_2'])

        test_correct_cnt += int(np.argmax(layer_2) == np.argmax(test_labels_array[index:index+1]))
    return test_correct_cnt


def wide_sgd(train_images, train_labels_onehot, iterations, seed=1):
    """MNIST stochastic gradient descent (400 hidden ReLU units, dropout, one image at a time)."""
    train_images_array, train_labels_array = train_images, train_labels_onehot
    np.random.seed(seed)

    alpha, hidden_size = (.001, 400)
    pixels_per_image, num_of_labels = (784, 10)

    synapse_0 = .2 * np.random.random((pixels_per_image, hidden_size)) - .1
    synapse_1 = .2 * np.random.random((hidden_size, num_of_labels)) - .1

    relu = lambda x: (x > 0) * x  # noqa: E731
    relu2deriv = lambda x: (x > 0)  # noqa: E731

    for iteration in range(iterations):
        msquared_error_layer_2, correct_cnt = (0.0, 0)
        for index in range(len(train_images_array)):
            layer_0 = train_images_array[index:index+1]
            layer_1 = relu(layer_0.dot(synapse_0))

            dropout_mask = np.random.randint(2, size=layer_1.shape)
            layer_1 *= dropout_mask * 2

            layer_2 = layer_1.dot(synapse_1)
            msquared_error_layer_2 += np.sum((layer_2
                                              - train_labels_array[index:index+1]) ** 2)

            correct_cnt += int(np.argmax(layer_2) == np.argmax(train_labels_array[index:index+1]))

            layer_2_delta = layer_2 - train_labels_array[index:index+1]

            layer_1_delta = layer_2_delta.dot(synapse_1.T) * relu2deriv(layer_1)
            layer_1_delta *= dropout_mask

            synapse_1_delta = layer_1.T.dot(layer_2_delta)
            synapse_0_delta = layer_0.T.dot(layer_1_delta)

            synapse_1 -= synapse_1_delta * alpha
            synapse_0 -= synapse_0_delta * alpha

    return {"synapse_0": synapse_0, "synapse_1": synapse_1}


def wide_minibatch(train_images, train_labels_onehot, iterations, seed=1):
    """Mini-batched stochastic gradient descent (400 hidden ReLU units, dropout, batches of 100)."""
    train_images_array, train_labels_array = train_images, train_labels_onehot
    np.random.seed(seed)

    batch_size = 100
    alpha, hidden_size = (.01, 400)
    pixels_per_image, num_of_labels = (784, 10)

    synapse_0 = .2 * np.random.random((pixels_per_image, hidden_size)) - .1
    synapse_1 = .2 * np.random.random((hidden_size, num_of_labels)) - .1

    relu = lambda x: (x > 0) * x  # noqa: E731
    relu2deriv = lambda x: (x > 0)  # noqa: E731

    for iteration in range(iterations):
        msquared_error_layer_2, correct_cnt = (0.0, 0)
        for index in range(int(len(train_images_array)/batch_size)):
            batch_start, batch_end = (index * batch_size, (index + 1) * batch_size)
            layer_0 = train_images_array[batch_start:batch_end]
            layer_1 = relu(layer_0.dot(synapse_0))
            dropout_mask = np.random.randint(2, size=layer_1.shape)
            layer_1 *= dropout_mask * 2

            layer_2 = layer_1.dot(synapse_1)
            msquared_error_layer_2 += np.sum((layer_2
                                              - train_labels_array[batch_start:batch_end]) ** 2)

            for index_cnt in range(batch_size):
                correct_cnt += int(np.argmax(layer_2[index_cnt:index_cnt + 1]) ==
                                   np.argmax(train_labels_array[batch_start + index_cnt: batch_start + index_cnt + 1]))

            layer_2_delta = (layer_2 - train_labels_array[batch_start:batch_end]) \
                / batch_size

            layer_1_delta = layer_2_delta.dot(synapse_1.T) * relu2deriv(layer_1)

            # layer_1_delta *= dropout_mask * 2;   (commented out in the notebook)

            synapse_1_delta = layer_1.T.dot(layer_2_delta)
            synapse_0_delta = layer_0.T.dot(layer_1_delta)

            synapse_1 -= synapse_1_delta * alpha
            synapse_0 -= synapse_0_delta * alpha

    return {"synapse_0": synapse_0, "synapse_1": synapse_1}


# preset name -> (loop, names of its weights in the order of pynet's parameters)
LOOPS = {
    "linear": (linear, ("weights",)),
    "relu": (relu, ("weights_0_1", "weights_1_2")),
    "relu-dropout": (relu_dropout, ("weights_0_1", "weights_1_2")),
    "relu-minibatch": (relu_minibatch, ("weights_0_1", "weights_1_2")),
    "tanh-softmax": (tanh_softmax, ("weights_0_1", "weights_1_2")),
    "conv": (conv, ("kernels", "weights_1_2")),
    "wide-sgd": (wide_sgd, ("synapse_0", "synapse_1")),
    "wide-minibatch": (wide_minibatch, ("synapse_0", "synapse_1")),
}
