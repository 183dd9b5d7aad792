export * as tf from '@tensorflow/tfjs';
