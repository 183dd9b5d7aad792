# Sine regression — fit y = 0.8·sin(πx) with two tanh layers and a linear output, MSE loss
# data: sine
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(1,)),
    layers.Dense(32, activation="tanh"),
    layers.Dense(32, activation="tanh"),
    layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
              loss="mse", metrics=["mae"])
model.fit(x_train, y_train, epochs=100, batch_size=32, validation_split=0.2)
