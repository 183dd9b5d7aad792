# Causal Conv1D names — dilated causal convolutions see only past characters, a small WaveNet
# data: names
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(seq_len,), dtype="int32"),
    layers.Embedding(vocab_size, 16),
    layers.Conv1D(64, 2, padding="causal", dilation_rate=1, activation="relu"),
    layers.Conv1D(64, 2, padding="causal", dilation_rate=2, activation="relu"),
    layers.Conv1D(64, 2, padding="causal", dilation_rate=4, activation="relu"),
    layers.Dense(vocab_size, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=10, batch_size=64, validation_split=0.1)
