"""The digit network, built from Keras' own layers only so that it loads in safe mode.

Input: a batch `(N, 28, 28, 1)` of pixel values 0–255, ink bright on dark (MNIST's
convention); the scaling to [0, 1] happens inside the model. Output: `(N, 10)` softmax
probabilities. Augmentation is not part of the model (see `digitpad.augment`), so nothing
random can happen at inference.
"""

import keras
from keras import layers


def conv_block(x, filters, kernel_size, strides=1):
    """Convolution → batch norm → ReLU: the unit every stage of the network repeats."""
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.Activation("relu")(x)


def build_model(dropout: float = 0.4) -> keras.Model:
    """A VGG-style CNN of three stages (32, 64, 128 filters), about 0.3 M parameters.

    3×3 convolutions throughout; strided ones halve the image (a learnt pooling) between
    stages; batch norm after every convolution, dropout between stages, global average
    pooling before the classifier. Sized for two CPU cores: a full training run (MNIST and
    the drawn digits, 12 epochs) takes about half an hour there (the README gives the times);
    with augmentation this family scores about 99.6–99.7% on MNIST.
    """
    inputs = keras.Input(shape=(28, 28, 1), name="image")
    x = layers.Rescaling(1.0 / 255.0)(inputs)
    x = conv_block(x, 32, 3)
    x = conv_block(x, 32, 3, strides=2)  # 28 → 14
    x = layers.Dropout(dropout / 2)(x)
    x = conv_block(x, 64, 3)
    x = conv_block(x, 64, 3)
    x = conv_block(x, 64, 3, strides=2)  # 14 → 7
    x = layers.Dropout(dropout / 2)(x)
    x = conv_block(x, 128, 3)
    x = conv_block(x, 128, 3)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(10, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="digitpad_cnn")
