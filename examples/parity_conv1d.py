# Parity with a CNN — a convolution sees a few bits, max pooling cannot count: near chance
# data: parity
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(seq_len,), dtype="int32"),
    layers.Embedding(vocab_size, 4),
    layers.Conv1D(16, 3, activation="relu"),
    layers.GlobalMaxPooling1D(),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
              loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=30, batch_size=32, validation_split=0.1)
