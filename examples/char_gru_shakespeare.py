# Char-GRU on Shakespeare — an embedding and a GRU read the text, predict each next character
# data: shakespeare
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(seq_len,), dtype="int32"),
    layers.Embedding(vocab_size, 32),
    layers.GRU(128, return_sequences=True),
    layers.Dense(vocab_size, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=10, batch_size=64, validation_split=0.1)
