# Reverse with a transformer encoder — each position learns to attend to its mirror position
# data: reverse
import keras
from keras import layers
import keras_hub

inputs = keras.Input(shape=(seq_len,), dtype="int32")
x = keras_hub.layers.TokenAndPositionEmbedding(vocab_size, seq_len, 32)(inputs)
x = keras_hub.layers.TransformerEncoder(intermediate_dim=64, num_heads=2)(x)
outputs = layers.Dense(vocab_size, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=10, batch_size=64, validation_split=0.1)
