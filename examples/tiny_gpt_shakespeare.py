# Tiny GPT on Shakespeare — two causal transformer blocks on a residual stream, next character
# data: shakespeare
import keras
from keras import layers
import keras_hub

d_model = 64
n_heads = 4
n_layers = 2

inputs = keras.Input(shape=(seq_len,), dtype="int32")
x = layers.Embedding(vocab_size, d_model)(inputs)
x = x + keras_hub.layers.PositionEmbedding(seq_len)(x)
for i in range(n_layers):
    h = layers.LayerNormalization(epsilon=1e-5)(x)
    x = x + layers.MultiHeadAttention(n_heads, d_model // n_heads)(h, h, use_causal_mask=True)
    h = layers.LayerNormalization(epsilon=1e-5)(x)
    h = layers.Dense(4 * d_model, activation="gelu")(h)
    x = x + layers.Dense(d_model)(h)
x = layers.LayerNormalization(epsilon=1e-5)(x)
outputs = layers.Dense(vocab_size, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.003),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=10, batch_size=64, validation_split=0.1)
