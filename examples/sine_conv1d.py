# Sine forecaster with Conv1D — convolutions and poolings read the window, Dense predicts next
# data: sine_series
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(seq_len, 1)),
    layers.Conv1D(16, 5, padding="same", activation="relu"),
    layers.MaxPooling1D(2),
    layers.Conv1D(16, 3, padding="same", activation="relu"),
    layers.AveragePooling1D(2),
    layers.GlobalAveragePooling1D(),
    layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
model.fit(x_train, y_train, epochs=20, batch_size=32, validation_split=0.1)
