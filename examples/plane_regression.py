# Linear regression — one Dense unit learns y = 0.6·x1 − 0.4·x2 with MAE and Adagrad
# data: plane
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(2,)),
    layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.Adagrad(learning_rate=0.1),
              loss="mae", metrics=["mae"])
model.fit(x_train, y_train, epochs=40, batch_size=16, validation_split=0.2)
