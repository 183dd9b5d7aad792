# Parity with attention pooling — self-attention sees all bits, average pooling, an MLP counts
# data: parity
import keras
from keras import layers
import keras_hub

inputs = keras.Input(shape=(seq_len,), dtype="int32")
x = layers.Embedding(vocab_size, 16)(inputs)
x = x + keras_hub.layers.PositionEmbedding(seq_len)(x)
x = layers.MultiHeadAttention(num_heads=2, key_dim=8)(x, x)
x = layers.GlobalAveragePooling1D()(x)
x = layers.Dense(32, activation="relu")(x)
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005),
              loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=30, batch_size=32, validation_split=0.1)
