# BatchNorm CNN — conv, batch norm and relu blocks, average pooling, a MobileNet-style head
# data: digits
import keras
from keras import layers

# momentum=0.9: the moving mean and variance used at inference follow the batches in ~10
# steps; Keras' default 0.99 needs hundreds, so validation would lag training in a short run.
model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(8, 3, padding="same", use_bias=False),
    layers.BatchNormalization(momentum=0.9),
    layers.Activation("relu"),
    layers.AveragePooling2D(2),
    layers.Conv2D(16, 3, padding="same", use_bias=False),
    layers.BatchNormalization(momentum=0.9),
    layers.Activation("relu"),
    layers.AveragePooling2D(2),
    layers.Conv2D(32, 3, padding="same", use_bias=False),
    layers.BatchNormalization(momentum=0.9),
    layers.Activation("relu"),
    # The head of keras.applications.MobileNet: average each channel, drop some, a 1×1
    # convolution as the classifier, then Reshape (1, 1, 10) → (10,) for the softmax.
    layers.GlobalAveragePooling2D(keepdims=True),
    layers.Dropout(0.2),
    layers.Conv2D(10, 1),
    layers.Reshape((10,)),
    layers.Activation("softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.003),
              loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=5, batch_size=64, validation_split=0.1)
