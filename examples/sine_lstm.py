# LSTM forecaster — an LSTM reads a window of a noisy sum of sines and predicts the next value
# data: sine_series
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(seq_len, 1)),
    layers.LSTM(32),
    layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
model.fit(x_train, y_train, epochs=20, batch_size=32, validation_split=0.1)
